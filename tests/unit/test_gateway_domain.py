"""Account rules that need no server: phone spellings, identifiers, refresh-token decisions, the OpenAPI merge."""
from datetime import datetime, timedelta, timezone

import pytest

from gateway import domain
from gateway.openapi import merge


@pytest.mark.parametrize("typed", ["081234567890", "0812-3456-7890", "62812 3456 7890", "+62 812-3456-7890",
                                   "812 3456 7890", "(0812) 3456.7890", "+62 0812 3456 7890", "0062812 34567890"])
def test_every_everyday_spelling_of_a_mobile_number_becomes_e164(typed):
    assert domain.normalise_phone(typed) == "+6281234567890"


@pytest.mark.parametrize("typed", ["", "12345", "+1 415 555 0100", "0212345678", "08123", "0812345678901234",
                                   "0812-abcd-7890", "+62", "08１２３４５６７８９０", "08١٢34567890", "0812345678\x00"])
def test_non_indonesian_or_non_mobile_numbers_are_refused(typed):
    with pytest.raises(domain.InvalidPhone):
        domain.normalise_phone(typed)


@pytest.mark.parametrize("typed", ["siti\x00@example.id", "siti@exa\nmple.id", "si\ud800ti@example.id"])
def test_emails_with_control_characters_are_refused(typed):
    with pytest.raises(ValueError):
        domain.normalise_email(typed)


def test_names_and_places_may_not_hide_control_characters():
    assert domain.has_control_characters("Siti\x00") and domain.has_control_characters("Sa\ud800")
    assert not domain.has_control_characters("Sïti Rahayu 🌾 (Blitar)")


def test_login_identifier_is_email_or_phone():
    assert domain.classify_identifier("  Siti@Example.ID ") == ("email", "siti@example.id")
    assert domain.classify_identifier("0812 3456 7890") == ("phone", "+6281234567890")
    with pytest.raises(ValueError):
        domain.classify_identifier("siti@")


def test_channels_need_somewhere_to_reach_and_inbox_stays_on():
    assert domain.usable_channels(["whatsapp"], None, "+6281234567890") == ["inapp", "whatsapp"]
    with pytest.raises(ValueError):
        domain.usable_channels(["email"], None, "+6281234567890")
    with pytest.raises(ValueError):
        domain.usable_channels(["pigeon"], "a@b.id", None)


def test_a_reused_refresh_token_revokes_its_family_but_an_expired_one_only_fails():
    now, grace = datetime.now(timezone.utc), timedelta(seconds=10)

    def judge(**kw):
        return domain.judge_refresh(**{"found": True, "rotated_at": None, "revoked": False,
                                       "expires_at": now + timedelta(1), "now": now, "grace": grace, **kw})
    assert judge().ok and not judge().concurrent
    reused = judge(rotated_at=now - timedelta(minutes=1))
    assert not reused.ok and reused.revoke_family
    expired = judge(expires_at=now - timedelta(1))
    assert not expired.ok and not expired.revoke_family
    assert not judge(found=False, expires_at=None).ok
    assert not judge(revoked=True).ok


def test_the_same_refresh_token_sent_twice_at_once_is_one_person_not_a_thief():
    now, grace = datetime.now(timezone.utc), timedelta(seconds=10)
    at_once = domain.judge_refresh(found=True, rotated_at=now - timedelta(seconds=1), revoked=False,
                                   expires_at=now + timedelta(1), now=now, grace=grace)
    assert at_once.ok and at_once.concurrent and not at_once.revoke_family
    just_after = domain.judge_refresh(found=True, rotated_at=now - grace - timedelta(seconds=1), revoked=False,
                                      expires_at=now + timedelta(1), now=now, grace=grace)
    assert not just_after.ok and just_after.revoke_family
    revoked = domain.judge_refresh(found=True, rotated_at=now, revoked=True, expires_at=now + timedelta(1),
                                   now=now, grace=grace)
    assert not revoked.ok  # a logout is final, however recent


def test_refresh_tokens_are_stored_only_as_a_hash():
    secret = domain.new_refresh_secret()
    assert len(secret) >= 40 and domain.hash_refresh_secret(secret) != secret
    assert domain.hash_refresh_secret(secret) == domain.hash_refresh_secret(secret)


def _spec(paths, schemas):
    return {"openapi": "3.0.3", "paths": paths, "components": {"schemas": schemas}, "tags": []}


def test_merged_openapi_keeps_routed_paths_and_renames_clashing_schemas():
    ref = {"$ref": "#/components/schemas/Error"}
    gateway = _spec({"/api/v1/auth/login": {"post": {"responses": {"401": {"schema": ref}}}}},
                    {"Error": {"type": "object", "properties": {"error": {}}}})
    catalog = _spec({"/api/v1/products": {"get": {"responses": {"200": {"schema": ref}}}},
                     "/api/v1/orders": {"get": {}}},  # not the catalog's to answer: dropped
                    {"Error": {"type": "string"}})
    merged = merge(gateway, {"catalog": catalog, "orders": None})
    assert set(merged["paths"]) == {"/api/v1/auth/login", "/api/v1/products"}
    assert merged["paths"]["/api/v1/products"]["get"]["responses"]["200"]["schema"] == {
        "$ref": "#/components/schemas/CatalogError"}
    assert merged["components"]["schemas"]["CatalogError"] == {"type": "string"}
    assert merged["components"]["schemas"]["Error"]["type"] == "object"
    assert merged["x-unavailable-services"] == ["orders"]


# -- sign-up and profile rules (gateway/domain.py; accounts.py only loads, checks "taken" and writes) ------------
def test_a_sign_up_is_cleaned_and_gets_the_channels_its_contacts_reach():
    fields, problems = domain.new_account_fields({"name": "  Siti ", "phone": "0812-3456-7890", "password": "rahasia123"})
    assert problems == {}
    assert fields == {"role": "shopper", "name": "Siti", "email": None, "phone": "+6281234567890", "locale": "id",
                      "district": None, "channels": ["inapp", "whatsapp"]}


def test_a_sign_up_says_every_problem_at_once_and_never_offers_admin():
    _, problems = domain.new_account_fields({"name": "", "password": "short", "role": "admin", "locale": "fr"})
    assert problems == {"role": ["one of: shopper, seller, agent, courier"], "name": ["1 to 120 characters"],
                        "phone": ["a phone number or an email address is needed"],
                        "password": ["at least 8 characters"], "locale": ["id or en"]}
    fields, problems = domain.new_account_fields({"name": "Op", "email": "op@desa.id", "password": "rahasia123",
                                                  "role": "admin"}, domain.ALL_ROLES)
    assert problems == {} and fields["role"] == "admin" and fields["channels"] == ["inapp", "email"]


def test_a_profile_edit_keeps_the_contacts_it_does_not_name():
    changes, problems = domain.profile_changes({"name": "Bu Siti", "locale": "en"}, None, "+6281234567890",
                                               ["inapp", "whatsapp"])
    assert problems == {}
    assert changes == {"name": "Bu Siti", "locale": "en", "email": None, "phone": "+6281234567890",
                       "channels": ["inapp", "whatsapp"]}


def test_removing_the_phone_drops_whatsapp_and_one_contact_must_stay():
    changes, problems = domain.profile_changes({"phone": ""}, "siti@desa.id", "+6281234567890",
                                               ["inapp", "email", "whatsapp"])
    assert problems == {} and changes["phone"] is None and changes["channels"] == ["inapp", "email"]
    _, problems = domain.profile_changes({"phone": None}, None, "+6281234567890", ["inapp", "whatsapp"])
    assert problems == {"phone": ["keep a phone number or an email address"]}


def test_a_profile_edit_refuses_what_it_may_not_touch_and_channels_without_an_address():
    _, problems = domain.profile_changes({"role": "admin", "locale": "fr"}, "siti@desa.id", None, ["inapp", "email"])
    assert problems == {"role": ["cannot be changed here"], "locale": ["id or en"]}
    _, problems = domain.profile_changes({"channels": ["whatsapp"]}, "siti@desa.id", None, ["inapp", "email"])
    assert problems == {"channels": ["WhatsApp notifications need a phone number"]}


def test_a_one_time_code_works_once_until_it_expires_and_five_wrong_guesses_lock_it():
    key = b"k"
    right = domain.hash_code(key, domain.RESET_PASSWORD, "acc-1", "123456")
    judge = lambda **kw: domain.judge_code(**{"found": True, "expected_hash": right, "used": False,  # noqa: E731
                                              "expired": False, "attempts": 0, **kw})
    assert judge(given_hash=right).ok
    assert judge(given_hash=domain.hash_code(key, domain.RESET_PASSWORD, "acc-1", "654321")).count_attempt
    assert judge(given_hash=right, used=True).reason == "used"
    assert judge(given_hash=right, expired=True).reason == "expired"
    assert judge(given_hash=right, attempts=domain.CODE_MAX_ATTEMPTS).reason == "too_many_attempts"
    assert domain.judge_code(found=False, expected_hash=None, given_hash=right, used=False, expired=False,
                             attempts=0).reason == "missing"
    # the same digits for another account or purpose are another code
    assert right != domain.hash_code(key, domain.RESET_PASSWORD, "acc-2", "123456")
    assert right != domain.hash_code(key, domain.VERIFY_PHONE, "acc-1", "123456")
    assert domain.clean_code(" 123-456 ") == "123456" and len(domain.new_code()) == 6


def test_sellers_agents_and_couriers_need_a_proven_phone_and_codes_are_rationed():
    assert domain.needs_verified_phone("courier", False) and not domain.needs_verified_phone("courier", True)
    assert not domain.needs_verified_phone("shopper", False)
    assert domain.may_send_code(domain.CODE_SENDS_PER_WINDOW - 1) and not domain.may_send_code(
        domain.CODE_SENDS_PER_WINDOW)
    assert domain.code_channel("phone") == "whatsapp" and domain.code_channel("email") == "email"


def test_region_codes_know_their_level_and_parent():
    assert [domain.region_level(c) for c in ("35", "35.05", "35.05.07", "35.05.07.2004")] == [1, 2, 3, 4]
    assert domain.region_level("35.5") is None and domain.region_level("35.05.07.20041") is None
    assert domain.region_parent("35.05.07.2004") == "35.05.07" and domain.region_parent("35") is None
    assert domain.region_key("  Sanan  Kulon ") == "sanan kulon"


def test_the_token_says_whether_the_phone_is_proven_and_only_an_email_only_agent_is_exempt():
    """Issue 18: selling and deliveries need a proven phone; an agent without any phone (a cooperative's officer
    who signed up by email) may sell, a seller or courier without one may not."""
    assert domain.phone_claims("seller", "+6281234567890", False) == {"phone_verified": False}
    assert domain.phone_claims("courier", "+6281234567890", True) == {"phone_verified": True}
    assert domain.phone_claims("agent", None, False) == {"phone_verified": False, "phone_exempt": True}
    assert domain.phone_claims("agent", "+6281234567890", False) == {"phone_verified": False}
    assert domain.phone_claims("seller", None, False) == {"phone_verified": False}
    assert not domain.needs_verified_phone("agent", False, has_phone=False)
    assert domain.needs_verified_phone("seller", False, has_phone=False)
