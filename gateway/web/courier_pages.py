"""Courier pages: on/off duty, deliveries offered and taken (pickup and drop-off), the open board of the
district, accept/decline/claim, picked up, delivered with the cash collected; the live notification feed."""
from __future__ import annotations

from flask import request

from . import accounts_bridge, i18n
from .forms import to_int
from .pages import bp, flash_back, login_required, render
from .reply import Reply
from .session import call, get_all, post

ACTIONS = {"terima": "accept", "tolak": "decline", "ambil-tugas": "claim", "sudah-diambil": "pickup"}
DONE = ("DELIVERED",)


@bp.route("/kurir")
@login_required("courier")
def courier_home():
    fragment = bool(request.args.get("fragment"))
    reads = [("/api/v1/couriers/me", None), ("/api/v1/deliveries", {"limit": 30}), ("/api/v1/deliveries/board", None)]
    if not fragment:  # the money a courier carries and earns: on the full page only, not on every live refresh
        reads.append(("/api/v1/balances/me", None))
    me, mine, board, *money = get_all(*reads)
    deliveries = mine.items()
    context = dict(courier=me.body if me.ok else {}, active=[d for d in deliveries if d.get("status") not in DONE],
                   finished=[d for d in deliveries if d.get("status") in DONE][:10], board=board.items(),
                   balance=money[0].body if money and money[0].ok else None,
                   down=mine.unavailable, note=request.args.get("note"))
    if fragment:
        return render("courier/deliveries.html", **context)
    return render("courier/home.html", **context)


@bp.route("/kurir/siaga", methods=["POST"])
@login_required("courier")
def courier_availability():
    body = {"available": request.form.get("available") == "1"}
    district = request.form.get("district", "").strip()
    if district:
        body["district"] = district
    reply = call("PUT", "/api/v1/couriers/me", json_body=body)
    note = ("on_duty" if body["available"] else "off_duty") if reply.ok else (
        "district_required" if reply.status == 422 else "not_saved")
    return flash_back("web.courier_home", note)


@bp.route("/kurir/kecamatan", methods=["GET", "POST"])
@login_required("courier")
def courier_district():
    """The district the courier delivers in, from the official list (issue 18): province -> regency -> district by
    stepwise selects without JavaScript, as the address picker does. Parcels of shops with a village code then
    find the courier by code, never a namesake district elsewhere."""
    from .account_pages import STEPS, picked_regions, region_options
    steps = STEPS[:3]
    picked = {k: v for k, v in picked_regions().items() if k in steps}
    me = get_all(("/api/v1/couriers/me", None))[0]
    courier = me.body if me.ok and isinstance(me.body, dict) else {}
    if request.method == "GET" and not picked and courier.get("district_code"):
        parts = courier["district_code"].split(".")
        picked = dict(zip(steps, (".".join(parts[:n]) for n in (1, 2, 3))))
    errors: dict = {}
    if request.method == "POST" and not request.form.get("pilih"):
        places = accounts_bridge.region_chain(picked.get("district", ""))
        if places and "district" in places and "village" not in places:
            reply = call("PUT", "/api/v1/couriers/me", json_body={
                "available": bool(courier.get("available")), "district": places["district"]["name"],
                "district_code": places["district"]["code"]})
            if reply.ok:
                return flash_back("web.courier_home", "district_saved")
            errors = {"_": i18n.gettext("Belum tersimpan.")}
        else:
            errors = {"district": i18n.gettext("Pilih provinsi, kabupaten/kota, lalu kecamatan")}
    options = region_options(picked, steps)
    return render("courier/district.html", 422 if errors else 200, courier=courier, picked=picked, options=options,
                  errors=errors)


@bp.route("/kurir/antar/<fulfillment_id>/<action>", methods=["POST"])
@login_required("courier")
def courier_action(fulfillment_id: str, action: str):
    if action not in ACTIONS:
        return render("message.html", 404, title=i18n.gettext("Halaman tidak ditemukan"), text="")
    reply = post(f"/api/v1/deliveries/{fulfillment_id}/{ACTIONS[action]}", json_body={})
    return flash_back("web.courier_home", action if reply.ok else "action_failed")


@bp.route("/kurir/antar/<fulfillment_id>/sampai", methods=["POST"])
@login_required("courier")
def courier_delivered(fulfillment_id: str):
    cash = request.form.get("cod_amount_collected")
    body = {"cod_amount_collected": to_int(cash) if cash not in (None, "") else None}
    if cash not in (None, "") and body["cod_amount_collected"] is None:
        return flash_back("web.courier_home", "cash_invalid")
    reply: Reply = post(f"/api/v1/deliveries/{fulfillment_id}/deliver", json_body=body)
    if reply.ok:
        return flash_back("web.courier_home", "delivered")
    return flash_back("web.courier_home", "cash_mismatch" if reply.status in (409, 422) else "action_failed")
