"""JSON APIs: the guide as Open Referral HSDS 3.0 (Open311 and the OpenAPI document
arrive with their issues)."""
