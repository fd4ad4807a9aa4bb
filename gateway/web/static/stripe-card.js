/* Stripe Elements card form (only when STRIPE_PUBLISHABLE_KEY is set); card data never touches our servers. */
(function () {
  "use strict";
  var form = document.getElementById("stripe-form");
  if (!form || !window.Stripe) return;
  var stripe = window.Stripe(form.getAttribute("data-key"));
  var card = stripe.elements().create("card", {style: {base: {fontSize: "18px"}}});
  card.mount("#card-element");
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    stripe.confirmCardPayment(form.getAttribute("data-secret"), {payment_method: {card: card}}).then(function (result) {
      if (result.error) { document.getElementById("card-errors").textContent = result.error.message; }
      else { window.location.href = form.getAttribute("data-done"); }
    });
  });
})();
