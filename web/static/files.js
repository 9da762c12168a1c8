// Upload limits are checked when files are chosen, not after the whole form has been sent: the server would
// refuse it (413, or "too many files") and every file chosen would have to be chosen again. A file over the size
// limit is taken back at once; so is the choice that brings the form over its count or total. The server still
// checks every file itself.
(function () {
  "use strict";
  function megabytes(bytes) { return (bytes / 1048576).toFixed(1).replace(".", ",") + " MB"; }
  function chosen(form) {
    var files = [];
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
      Array.prototype.push.apply(files, input.files);
    });
    return files;
  }
  function oneTooBig(input) {
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
    if (big.length) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
  }
  function tooMany(input) {
    var form = input.form, limits = form && form.querySelector("#file-limits");
    if (!limits) { return; }
    var message = form.querySelector(".too-many");
    var files = chosen(form), maxFiles = Number(limits.dataset.maxFiles), maxTotal = Number(limits.dataset.maxTotal);
    var total = files.reduce(function (sum, file) { return sum + file.size; }, 0);
    var said = "";
    if (files.length > maxFiles) {
      said = files.length + " berkas dipilih; paling banyak " + maxFiles + " berkas per pengiriman. ";
    } else if (total > maxTotal - 1048576) {  // room for the form's own fields
      said = "Berkas yang dipilih berjumlah " + megabytes(total) + "; seluruhnya paling banyak " +
        megabytes(maxTotal - 1048576).replace(",0", "") + ". ";
    }
    if (said) {
      message.textContent = said + "Pilihan terakhir dibatalkan; gabungkan bukti ke dalam satu PDF atau kirim sisanya kemudian.";
      input.value = "";
    }
    message.hidden = !said;
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
    oneTooBig(input);
    tooMany(input);
  });
}());
