"""Trust semantics, independent of any file format: how a cloud evaluates a token against a
trust. AWS IAM: condition operators (``conditions``), glob patterns and each issuer's
subject grammar (``patterns``, ``subjects``, ``catalog``, ``claims``), principals and
policies (``principals``, ``policy``), privilege (``privilege``, ``managed_policies``), EKS
(``eks``, ``eks_addons``). Google Cloud: the CEL subset of attribute mappings and
conditions (``google_cel``) and pool members (``google_members``). Azure: the flexible
federated credential's claims expression (``azure_claims``). Shared: RE2 patterns read
with a bound on backtracking (``re2``) and partly known text (``holes``).

Every verdict is three-valued over partly known values: known true, known false, or not
decided. Imports only the model and the layers below it (``oidclint.source``); never a
reader, the graph, a rule or the scheduler.
"""
