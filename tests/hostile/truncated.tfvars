repository = "acme/api
