// A file over the upload limit is refused when it is chosen, not after the whole form has been sent (the server
// would answer 413 and the form's entries would be gone). The server still checks every file itself.
(function () {
  "use strict";
  function megabytes(bytes) { return (bytes / 1048576).toFixed(1).replace(".", ",") + " MB"; }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
    var limit = Number(input.dataset.maxBytes);
    var message = input.parentElement.querySelector(".too-big");
    var big = Array.prototype.filter.call(input.files, function (file) { return file.size > limit; });
    if (big.length) {
      message.textContent = big.map(function (file) {
        return "Berkas " + file.name + " (" + megabytes(file.size) + ") melebihi batas " + megabytes(limit).replace(",0", "") +
          "; pilih berkas yang lebih kecil (misalnya pindai ulang dengan resolusi lebih rendah).";
      }).join(" ");
      input.value = "";
    }
    message.hidden = !big.length;
    input.closest(".field").classList.toggle("invalid", big.length > 0);
  });
}());
