/* Progressive enhancement for the listing form: shrink a phone camera photo (often 3-5 MB) in the browser
   before it travels over a slow village link. Without it the server shrinks the photo instead. */
(function () {
  "use strict";
  var form = document.getElementById("listing-form");
  var inputs = [document.getElementById("photo"), document.getElementById("photo-gallery")];
  if (!form || !inputs[0] || !window.FormData || !window.fetch || !HTMLCanvasElement.prototype.toBlob) return;
  var LIMIT = 1200000, SIDE = 1600;
  form.addEventListener("submit", function (e) {
    var input = inputs.filter(function (el) { return el && el.files && el.files[0]; })[0];
    var file = input && input.files[0];
    if (!file || file.size <= LIMIT || !/^image\//.test(file.type)) return;
    e.preventDefault();
    var img = new Image();
    img.onload = function () {
      var scale = Math.min(1, SIDE / Math.max(img.width, img.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.width * scale); canvas.height = Math.round(img.height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        var data = new FormData(form);
        data.delete("photo"); data.delete("photo_gallery");
        data.set(input.name, blob, "photo.jpg");
        if (e.submitter && e.submitter.name) data.set(e.submitter.name, e.submitter.value);
        fetch(form.action, {method: "POST", body: data, credentials: "same-origin"})
          .then(function (r) { window.location.href = r.url; })
          .catch(function () { form.submit(); });
      }, "image/jpeg", 0.82);
    };
    img.onerror = function () { form.submit(); };
    img.src = URL.createObjectURL(file);
  });
})();
