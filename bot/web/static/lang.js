// Inside Telegram (a Mini App), the page opens in the user's Telegram language and at the item asked for.
(function () {
  var url = new URL(window.location.href);
  if (!url.searchParams.get("lang")) {
    var hash = new URLSearchParams(url.hash.slice(1));
    var data = hash.get("tgWebAppData");
    if (data) {
      try {
        var user = JSON.parse(new URLSearchParams(data).get("user") || "{}");
        var code = (user.language_code || "").slice(0, 2);
        if (code === "vi" || code === "en") {
          url.searchParams.set("lang", code);
          window.location.replace(url.toString());
          return;
        }
      } catch (e) { /* not Telegram's data: stay as we are */ }
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var item = url.searchParams.get("item");
    var target = item && document.getElementById(item);
    if (target) {
      target.classList.add("active");
      target.scrollIntoView();
    }
  });
})();
