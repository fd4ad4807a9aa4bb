"""Questions and conversations (issue 19): "Tanya penjual" on the product and order pages, the shopper's
"Pertanyaan saya", the seller's "Pertanyaan pembeli", the customer-service queue (/cs), one thread's page, and the
operator's page (cs staff, their shops, response times). Plain form posts; with JavaScript the thread and the queue
refresh when the notification feed says a message arrived (live.js, [data-live-url])."""
from __future__ import annotations

from flask import g, redirect, request, url_for

from . import accounts_bridge, i18n, session
from .forms import flatten_fields, general_error
from .pages import bp, flash_back, login_required, render
from .session import get, get_all, post

QUEUE_LIMIT = 50
STATUS_WORDS = {"open": "Menunggu jawaban", "answered": "Dijawab", "handed_over": "Diteruskan ke penjual",
                "resolved": "Sudah selesai"}
PART_WORDS = {"shopper": "Pembeli", "shop": "Penjual", "cs": "Layanan pelanggan", "admin": "Pengelola"}


def question_status(status: str) -> str:
    return i18n.gettext(STATUS_WORDS[status]) if status in STATUS_WORDS else (status or "")


def question_part(part: str) -> str:
    return i18n.gettext(PART_WORDS[part]) if part in PART_WORDS else (part or "")


def duration(seconds) -> str:
    """12 dtk, 5 mnt, 2 jam 5 mnt, 3 hari: a response time as the operator reads it."""
    if seconds is None:
        return "–"
    seconds = int(seconds)
    if seconds < 60:
        return i18n.gettext("%(n)s dtk") % {"n": seconds}
    if seconds < 3600:
        return i18n.gettext("%(n)s mnt") % {"n": seconds // 60}
    if seconds < 86400:
        return i18n.gettext("%(h)s jam %(m)s mnt") % {"h": seconds // 3600, "m": seconds % 3600 // 60}
    return i18n.gettext("%(n)s hari") % {"n": seconds // 86400}


@bp.app_context_processor
def _question_helpers():
    return {"question_status": question_status, "question_part": question_part, "duration": duration}


def _thread_or_404(thread_id: str):
    reply = get(f"/api/v1/questions/{thread_id}")
    if reply.status == 404:
        return None, render("message.html", 404, title=i18n.gettext("Pertanyaan tidak ditemukan"), text="")
    if not reply.ok:
        return None, render("message.html", 503, title=i18n.gettext("Layanan sedang sibuk"),
                            text=i18n.gettext("Coba lagi sebentar lagi."))
    return reply.body, None


def _problem(reply) -> str:
    if reply.status == 429:
        return i18n.gettext("Terlalu banyak pesan dalam satu jam. Coba lagi nanti.")
    fields = flatten_fields(reply.fields, reply.code)
    return fields.get("body") or general_error(reply, "Pesan belum terkirim. Coba lagi.")


# -- asking --------------------------------------------------------------------------------------------------
@bp.route("/produk/<listing_id>/tanya", methods=["GET", "POST"])
@login_required("shopper")
def ask_about_listing(listing_id: str):
    product = get(f"/api/v1/products/{listing_id}")
    if product.status == 404:
        return render("message.html", 404, title=i18n.gettext("Produk tidak ditemukan"), text="")
    subject = (product.body or {}).get("title", "") if isinstance(product.body, dict) else ""
    back = url_for("web.listing", listing_id=listing_id)
    if request.method == "GET":
        return render("questions/ask.html", subject=subject, back=back, error=None, body="",
                      action=url_for("web.ask_about_listing", listing_id=listing_id))
    return _ask({"listing_id": listing_id}, subject, back, url_for("web.ask_about_listing", listing_id=listing_id))


@bp.route("/pesanan/<order_id>/tanya", methods=["GET", "POST"])
@login_required("shopper")
def ask_about_order(order_id: str):
    order = get(f"/api/v1/orders/{order_id}")
    if order.status == 404:
        return render("message.html", 404, title=i18n.gettext("Pesanan tidak ditemukan"), text="")
    body = order.body if isinstance(order.body, dict) else {}
    lines = body.get("lines") or []
    back = url_for("web.order", order_id=order_id)
    action = url_for("web.ask_about_order", order_id=order_id)
    subject = f"{i18n.gettext('Pesanan')} #{order_id[:8]}"
    if request.method == "GET":
        return render("questions/ask.html", subject=subject, back=back, error=None, body="", action=action, lines=lines)
    about = {"order_id": order_id}
    if request.form.get("listing_id"):
        about["listing_id"] = request.form["listing_id"][:64]
    return _ask(about, subject, back, action, lines)


def _ask(about: dict, subject: str, back: str, action: str, lines=None):
    text = request.form.get("body", "")[:2000]
    reply = post("/api/v1/questions", json_body={**about, "body": text}, headers=session.idempotency("ask"))
    if reply.ok:
        return flash_back("web.question", "sent", thread_id=reply.body["id"])
    status = reply.status if 400 <= reply.status < 500 else 503
    return render("questions/ask.html", status, subject=subject, back=back, error=_problem(reply), body=text,
                  action=action, lines=lines or [])


# -- one thread ----------------------------------------------------------------------------------------------
@bp.route("/pertanyaan/<thread_id>")
@login_required()
def question(thread_id: str):
    thread, refused = _thread_or_404(thread_id)
    if refused:
        return refused
    if request.args.get("fragment"):
        return render("questions/_messages.html", thread=thread)
    return render("questions/thread.html", thread=thread, note=request.args.get("note"), error=None, body="")


@bp.route("/pertanyaan/<thread_id>/balas", methods=["POST"])
@login_required()
def reply_to_question(thread_id: str):
    text = request.form.get("body", "")[:2000]
    reply = post(f"/api/v1/questions/{thread_id}/messages", json_body={"body": text},
                 headers=session.idempotency("message"))
    if reply.ok:
        return flash_back("web.question", "sent", thread_id=thread_id)
    thread, refused = _thread_or_404(thread_id)
    if refused:
        return refused
    status = reply.status if 400 <= reply.status < 500 else 503
    return render("questions/thread.html", status, thread=thread, note=None, error=_problem(reply), body=text)


@bp.route("/pertanyaan/<thread_id>/serahkan", methods=["POST"])
@login_required("cs")
def hand_over_question(thread_id: str):
    reply = post(f"/api/v1/questions/{thread_id}/handover")
    if reply.status == 404:
        return _thread_or_404(thread_id)[1]
    return flash_back("web.question", "handed_over" if reply.ok else "failed", thread_id=thread_id)


@bp.route("/pertanyaan/<thread_id>/selesai", methods=["POST"])
@login_required()
def resolve_question(thread_id: str):
    reply = post(f"/api/v1/questions/{thread_id}/resolve")
    if reply.status == 404:
        return _thread_or_404(thread_id)[1]
    return flash_back("web.question", "resolved" if reply.ok else "failed", thread_id=thread_id)


# -- lists ---------------------------------------------------------------------------------------------------
@bp.route("/pertanyaan")
@login_required()
def my_questions():
    role = g.user.role
    if role in ("seller", "agent"):
        return redirect(url_for("web.seller_questions"))
    if role == "cs":
        return redirect(url_for("web.cs_queue"))
    if role == "admin":
        return redirect(url_for("web.operator_questions"))
    reply = get("/api/v1/questions", params={"limit": QUEUE_LIMIT})
    return render("questions/list.html", heading=i18n.gettext("Pertanyaan saya"), items=reply.items(),
                  down=reply.unavailable, live_url=None, seller=False)


@bp.route("/penjual/pertanyaan")
@login_required("seller", "agent")
def seller_questions():
    reply = get("/api/v1/questions", params={"limit": QUEUE_LIMIT})
    if request.args.get("fragment"):
        return render("questions/_list.html", items=reply.items())
    return render("questions/list.html", heading=i18n.gettext("Pertanyaan pembeli"), items=reply.items(),
                  down=reply.unavailable, live_url=url_for("web.seller_questions", fragment=1), seller=True)


@bp.route("/cs")
@login_required("cs")
def cs_queue():
    everything = request.args.get("semua") == "1"
    params = {"limit": QUEUE_LIMIT} if everything else {"limit": QUEUE_LIMIT, "status": "queue"}
    if g.user.role == "admin":
        queue, staff = get_all(("/api/v1/questions", params), ("/api/v1/cs-staff", None))
        shops = []
    else:
        queue, staff = get_all(("/api/v1/questions", params), (f"/api/v1/cs-staff/{g.user.user_id}", None))
        shops = (staff.body or {}).get("shops", []) if isinstance(staff.body, dict) else []
    if request.args.get("fragment"):
        return render("questions/_list.html", items=queue.items())
    return render("questions/queue.html", items=queue.items(), down=queue.unavailable, shops=shops,
                  everything=everything,
                  live_url=url_for("web.cs_queue", fragment=1, **({"semua": 1} if everything else {})))


# -- the operator --------------------------------------------------------------------------------------------
@bp.route("/admin/pertanyaan")
@login_required("admin")
def operator_questions():
    times, staff, shops = get_all(("/api/v1/questions/response-times", None), ("/api/v1/cs-staff", None),
                                  ("/api/v1/shops", {"per_page": 100}))
    return render("questions/operator.html", times=times.body if times.ok else None, staff=staff.items(),
                  shops=shops.items(), down=times.unavailable, note=request.args.get("note"),
                  errors={}, form={})


@bp.route("/admin/cs", methods=["POST"])
@login_required("admin")
def create_cs_staff():
    form = {key: request.form.get(key, "").strip()[:256] for key in ("name", "phone", "email", "password")}
    data = {k: v for k, v in form.items() if v}
    reply = accounts_bridge.create_cs_staff(data)
    if reply.ok:
        return flash_back("web.operator_questions", "staff_created")
    times, staff, shops = get_all(("/api/v1/questions/response-times", None), ("/api/v1/cs-staff", None),
                                  ("/api/v1/shops", {"per_page": 100}))
    errors = flatten_fields(reply.fields, reply.code) or {"name": general_error(reply, "Akun belum dibuat.")}
    form.pop("password", None)
    return render("questions/operator.html", 422, times=times.body if times.ok else None, staff=staff.items(),
                  shops=shops.items(), down=times.unavailable, note=None, errors=errors, form=form)


@bp.route("/admin/cs/tugas", methods=["POST"])
@login_required("admin")
def assign_cs_staff():
    user_id, shop_id = request.form.get("user_id", "")[:64], request.form.get("shop_id", "")[:64]
    remove = request.form.get("lepas") == "1"
    if not user_id or not shop_id:
        return flash_back("web.operator_questions", "assign_failed")
    path = f"/api/v1/cs-staff/{user_id}/shops/{shop_id}"
    reply = session.call("DELETE" if remove else "PUT", path)
    note = ("unassigned" if remove else "assigned") if reply.ok else "assign_failed"
    return flash_back("web.operator_questions", note)
