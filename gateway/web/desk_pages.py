"""The operator's desk on the pages (issue 16), the money and the machinery: /operator/setoran-cod (the cash on
delivery each courier still holds, and recording what a courier handed over) and /operator/antrian (parked events
per queue, replayed from here). Admin only; every action is recorded (who, when, why)."""
from __future__ import annotations

from flask import g, request

from pasar.errors import ApiError

from .. import operator, queues
from .pages import bp, flash_back, login_required, render
from .session import get, get_all, idempotency, post


@bp.route("/operator/setoran-cod")
@login_required("admin")
def operator_cod():
    reply = get("/api/v1/balances/cod-outstanding")
    body = reply.body if reply.ok and isinstance(reply.body, dict) else {}
    couriers = body.get("couriers", [])
    names = operator.account_names([c["courier_id"] for c in couriers])
    histories = get_all(*[("/api/v1/balances/cod-handovers", {"courier_id": c["courier_id"]})
                          for c in couriers[:30]]) if couriers else []
    for courier, history in zip(couriers, histories):  # who recorded what, when, why: on the courier it changed
        courier["handovers"] = history.body if history.ok and isinstance(history.body, list) else []
    return render("operator/cod.html", couriers=couriers, total=body.get("total", 0), names=names,
                  down=reply.unavailable, note=request.args.get("note"))


@bp.route("/operator/setoran-cod", methods=["POST"])
@login_required("admin")
def operator_cod_handover():
    """A courier handed over cash: recorded once per submitted form (its key), never more than they hold."""
    try:
        amount = int((request.form.get("amount") or "").replace(".", "").strip())
    except ValueError:
        return flash_back("web.operator_cod", "not_recorded")
    reply = post("/api/v1/balances/cod-handovers", headers=idempotency("cod"),
                 json_body={"courier_id": (request.form.get("courier_id") or "")[:64], "amount": amount,
                            "note": (request.form.get("note") or "").strip()[:300] or None})
    if reply.ok:
        return flash_back("web.operator_cod", "recorded")
    code = (reply.body or {}).get("error", {}).get("code") if isinstance(reply.body, dict) else None
    return flash_back("web.operator_cod", "too_much" if code == "more_than_outstanding" else "not_recorded")


@bp.route("/operator/antrian")
@login_required("admin")
def operator_queues():
    try:
        found, down = queues.overview(latest=5), False
    except ApiError:
        found, down = {"queues": [], "total": 0, "replays": []}, True
    return render("operator/queues.html", queues=found["queues"], total=found["total"], replays=found["replays"],
                  down=down, note=request.args.get("note"), moved=request.args.get("moved"))


@bp.route("/operator/antrian/<app>/kirim-ulang", methods=["POST"])
@login_required("admin")
def operator_replay(app: str):
    """"Kirim ulang": one parked event (its id) or all of the queue back to it, with a reason; recorded."""
    reason = request.form.get("reason", "").strip()[:500]
    event_id = (request.form.get("event_id") or "").strip()[:64] or None
    if not reason:
        return flash_back("web.operator_queues", "no_reason")
    try:
        done = queues.replay(g.user.user_id, app, event_id, reason)
    except ApiError as exc:
        return flash_back("web.operator_queues", "gone" if exc.status == 404 else "not_replayed")
    return flash_back("web.operator_queues", "replayed", moved=done["moved"])
