#!/bin/sh
# Writes the secrets an overlay's kustomization.yaml reads, into deploy/k8s/overlays/<overlay>/secrets/ (ignored by
# git). Never overwrites a file that exists: a new JWT key would log every user out, a new database password would
# lock the apps out until CloudNativePG has applied it. Usage: deploy/k8s/make-secrets.sh dev|production
set -eu
overlay_dir="$(cd "$(dirname "$0")" && pwd)/overlays/${1:?usage: make-secrets.sh dev|production}"
[ -d "$overlay_dir" ] || { echo "no overlay $overlay_dir" >&2; exit 2; }
dir="$overlay_dir/secrets"
mkdir -p "$dir"
umask 077
PYTHON="${PYTHON:-python3}"
[ -f "$dir/jwt_private.pem" ] || "${PASAR:-pasar}" make-keys --dir "$dir" >/dev/null
for app in gateway catalog orders payments notifications; do
  [ -f "$dir/db-$app.password" ] || "$PYTHON" -c 'import secrets; print(secrets.token_hex(24), end="")' > "$dir/db-$app.password"
done
# Provider credentials: empty means the labelled sandbox (payments) and mail/WhatsApp written to files
# (notifications); fill them in for production.
[ -f "$dir/payments.env" ] || printf 'STRIPE_SECRET_KEY=\nSTRIPE_PUBLISHABLE_KEY=\nSTRIPE_WEBHOOK_SECRET=\n' > "$dir/payments.env"
[ -f "$dir/notifications.env" ] || printf 'SMTP_USER=\nSMTP_PASSWORD=\nWHATSAPP_TOKEN=\n' > "$dir/notifications.env"
echo "secrets for $1 in $dir"
