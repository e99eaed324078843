// The map: a pin for every place with coordinates, the list beside it works without the map.
(function () {
  var data = JSON.parse(document.getElementById("pins").textContent);
  var list = document.getElementById("list");
  var markers = {};
  var map = null;

  function popup(pin) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = pin.title;
    var text = document.createElement("p");
    text.textContent = pin.text.length > 100 ? pin.text.slice(0, 100) + "…" : pin.text;
    var link = document.createElement("a");
    link.href = "https://www.google.com/maps/dir/?api=1&destination=" + pin.location.latitude + "," + pin.location.longitude;
    link.rel = "noopener";
    link.textContent = data.labels.directions;
    box.appendChild(title);
    box.appendChild(text);
    box.appendChild(link);
    return box;
  }

  if (window.L && data.pins.length) {
    map = L.map("map");
    L.tileLayer(data.tiles + "/{z}/{x}/{y}.png", { maxZoom: 18, attribution: data.labels.attribution }).addTo(map);
    var bounds = [];
    data.pins.forEach(function (pin) {
      var at = [pin.location.latitude, pin.location.longitude];
      markers[pin.id] = L.marker(at, { title: pin.title, alt: pin.title }).addTo(map)
        .bindPopup(popup(pin), { maxWidth: Math.min(240, window.innerWidth - 140), autoPanPadding: [12, 12], keepInView: true });
      bounds.push(at);
    });
    if (bounds.length === 1) { map.setView(bounds[0], 14); } else { map.fitBounds(bounds, { padding: [24, 24] }); }
  } else {
    document.getElementById("map").hidden = true;
  }

  function show(id) {
    Array.prototype.forEach.call(list.children, function (li) { li.classList.toggle("active", li.id === id); });
    var marker = markers[id];
    if (map && marker) {
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 13), { animate: false });
      marker.openPopup();
    }
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (button) { show(button.parentElement.id); }
  });
  var wanted = new URL(window.location.href).searchParams.get("item") || decodeURIComponent(window.location.hash.slice(1));
  if (wanted && markers[wanted]) { show(wanted); }
})();
