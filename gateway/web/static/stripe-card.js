/* Stripe Elements card form (only when STRIPE_PUBLISHABLE_KEY is set); card data never touches our servers.
   The pay button stays off until the card field is ready, so a slow or failed load never looks like a payment. */
(function () {
  "use strict";
  var form = document.getElementById("stripe-form");
  if (!form) return;
  var button = form.querySelector("button[type=submit]");
  var errors = document.getElementById("card-errors");
  if (!window.Stripe) { errors.textContent = form.getAttribute("data-failed"); return; }
  var stripe = window.Stripe(form.getAttribute("data-key"));
  var card = stripe.elements().create("card", {style: {base: {fontSize: "18px"}}});
  card.mount("#card-element");
  card.on("ready", function () { button.disabled = false; });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    button.disabled = true;
    errors.textContent = "";
    stripe.confirmCardPayment(form.getAttribute("data-secret"), {payment_method: {card: card}}).then(function (result) {
      if (result.error) { errors.textContent = result.error.message; button.disabled = false; }
      else { window.location.href = form.getAttribute("data-done"); }
    });
  });
})();
