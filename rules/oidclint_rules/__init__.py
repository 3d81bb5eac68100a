"""The oidclint rule pack: one module per rule, registered in ``ALL_RULES``."""

from oidclint_rules.oidc101_web_identity_action_missing import WebIdentityActionMissing
from oidclint_rules.oidc102_federated_principal_missing import FederatedPrincipalMissing
from oidclint_rules.oidc103_unknown_oidc_provider import UnknownOidcProvider
from oidclint_rules.oidc104_condition_key_issuer_mismatch import ConditionKeyIssuerMismatch
from oidclint_rules.oidc105_unsupported_claim_key import UnsupportedClaimKey
from oidclint_rules.oidc106_wildcard_in_exact_match import WildcardInExactMatch
from oidclint_rules.oidc107_audience_not_registered import AudienceNotRegistered
from oidclint_rules.oidc108_workload_subject_not_admitted import WorkloadSubjectNotAdmitted
from oidclint_rules.oidc109_workload_issuer_not_trusted import WorkloadIssuerNotTrusted
from oidclint_rules.oidc110_workload_audience_not_admitted import WorkloadAudienceNotAdmitted
from oidclint_rules.oidc111_session_duration_exceeds_max import SessionDurationExceedsMax
from oidclint_rules.oidc112_missing_id_token_permission import MissingIdTokenPermission
from oidclint_rules.oidc113_session_condition_unsatisfiable import SessionConditionUnsatisfiable
from oidclint_rules.oidc114_legacy_github_subject import LegacyGithubSubject
from oidclint_rules.oidc115_impossible_subject_pattern import ImpossibleSubjectPattern
from oidclint_rules.oidc116_google_subject_mapping import GoogleSubjectMapping
from oidclint_rules.oidc117_undefined_attribute import UndefinedAttribute
from oidclint_rules.oidc118_too_many_federated_credentials import TooManyFederatedCredentials
from oidclint_rules.oidc119_claims_expression_not_supported import ClaimsExpressionNotSupported
from oidclint_rules.oidc201_missing_subject_condition import MissingSubjectCondition
from oidclint_rules.oidc202_missing_audience_condition import MissingAudienceCondition
from oidclint_rules.oidc203_wildcard_subject import WildcardSubject
from oidclint_rules.oidc204_broad_subject import BroadSubject
from oidclint_rules.oidc205_unbound_custom_subject import UnboundCustomSubject
from oidclint_rules.oidc206_negated_subject_only import NegatedSubjectOnly
from oidclint_rules.oidc207_cognito_unauthenticated_access import CognitoUnauthenticatedAccess
from oidclint_rules.oidc208_wildcard_principal_web_identity import WildcardPrincipalWebIdentity
from oidclint_rules.oidc209_privileged_role_broad_trust import PrivilegedRoleBroadTrust
from oidclint_rules.oidc210_vacuous_set_or_ifexists_restriction import VacuousSetOrIfExistsRestriction
from oidclint_rules.oidc211_whole_pool_member import WholePoolMember
from oidclint_rules.oidc301_duplicate_oidc_provider import DuplicateOidcProvider
from oidclint_rules.oidc302_invalid_provider_url import InvalidProviderUrl
from oidclint_rules.oidc303_provider_audience_missing import ProviderAudienceMissing
from oidclint_rules.oidc304_stringlike_without_wildcard import StringLikeWithoutWildcard
from oidclint_rules.oidc305_workload_role_not_found import WorkloadRoleNotFound

ALL_RULES = [
    WebIdentityActionMissing,
    FederatedPrincipalMissing,
    UnknownOidcProvider,
    ConditionKeyIssuerMismatch,
    UnsupportedClaimKey,
    WildcardInExactMatch,
    AudienceNotRegistered,
    WorkloadSubjectNotAdmitted,
    WorkloadIssuerNotTrusted,
    WorkloadAudienceNotAdmitted,
    SessionDurationExceedsMax,
    MissingIdTokenPermission,
    SessionConditionUnsatisfiable,
    LegacyGithubSubject,
    ImpossibleSubjectPattern,
    GoogleSubjectMapping,
    UndefinedAttribute,
    TooManyFederatedCredentials,
    ClaimsExpressionNotSupported,
    MissingSubjectCondition,
    MissingAudienceCondition,
    WildcardSubject,
    BroadSubject,
    UnboundCustomSubject,
    NegatedSubjectOnly,
    CognitoUnauthenticatedAccess,
    WildcardPrincipalWebIdentity,
    PrivilegedRoleBroadTrust,
    VacuousSetOrIfExistsRestriction,
    WholePoolMember,
    DuplicateOidcProvider,
    InvalidProviderUrl,
    ProviderAudienceMissing,
    StringLikeWithoutWildcard,
    WorkloadRoleNotFound,
]
