"""Drives the console's service map in headless Chromium with Selenium and checks that a large map is readable.

Usage: drive_map.py URL SPEC SCREENSHOTS

URL is the console `xray ui` printed; SPEC a JSON file naming what the store holds: "services" (every node
but the client), "edges" ("caller -> callee"), "inferred" (nodes with no segment of their own), "cycle" (two
services that call each other), "long" (names too long to print whole) and "traces" (how many traces a click
on a node should list); SCREENSHOTS a folder for map-30.png. Prints "ok: ..." per check and exits 1 at the
first failed one, naming it.
"""
import json
import math
import os
import sys

from selenium.webdriver.common.by import By

import browser_checks
from browser_checks import browser, check, fail

URL, SPEC, SHOTS = sys.argv[1:4]


def wait(driver, predicate, message):
    """A large map takes longer to lay out and draw than the other pages."""
    return browser_checks.wait(driver, predicate, message, timeout=15)


# Every node as the page drew it: name, the full name in its <title>, its circle's centre and radius, its whole
# box (circle, ring and labels) and its label texts, all in the SVG's own units.
NODES = """
return Array.from(document.querySelectorAll('#map .node')).map(n => {
  const c = n.querySelector('circle'), b = n.getBBox();
  return { name: n.getAttribute('data-name'), inferred: n.getAttribute('data-inferred') === 'true',
    title: (n.querySelector('title') || {}).textContent, cx: c.cx.baseVal.value, cy: c.cy.baseVal.value, r: c.r.baseVal.value,
    dashed: c.getAttribute('stroke-dasharray') !== null,
    box: { x: b.x, y: b.y, w: b.width, h: b.height },
    labels: Array.from(n.querySelectorAll('text')).map(t => t.textContent) };
});
"""

EDGES = """
return Array.from(document.querySelectorAll('#map path.edge')).map(p => {
  const n = p.getTotalLength(), a = p.getPointAtLength(0), b = p.getPointAtLength(n);
  return { from: p.getAttribute('data-from'), to: p.getAttribute('data-to'), x1: a.x, y1: a.y, x2: b.x, y2: b.y };
});
"""

TEXTS = """
const svg = document.getElementById('map');
return { width: svg.width.baseVal.value, height: svg.height.baseVal.value,
  texts: Array.from(svg.querySelectorAll('text')).map(t => { const b = t.getBBox(); return { text: t.textContent, x: b.x, y: b.y, w: b.width, h: b.height }; }) };
"""


def overlap(a, b):
    return a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


def main():
    spec = json.load(open(SPEC))
    services = set(spec["services"])
    driver = browser()
    try:
        driver.get(URL + "#/map")
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#map .node")) == len(services) + 1,
             "the map draws %d nodes (the services and the client)" % (len(services) + 1))
        nodes = driver.execute_script(NODES)
        by_name = {n["name"]: n for n in nodes}
        check(set(by_name) == services | {"client"}, "every service is a node, once: %s" % sorted(set(by_name) ^ (services | {"client"})))

        boxes = [(n["name"], n["box"]) for n in nodes]
        clashes = [(a, b) for i, (a, ba) in enumerate(boxes) for (b, bb) in boxes[i + 1:] if overlap(ba, bb)]
        check(not clashes, "no two of the %d node boxes overlap %s" % (len(boxes), clashes[:5]))

        edges = driver.execute_script(EDGES)
        drawn = sorted(e["from"] + " -> " + e["to"] for e in edges)
        check(drawn == sorted(spec["edges"]), "one edge per caller and callee: %s" % sorted(set(drawn) ^ set(spec["edges"])))
        for e in edges:
            a, b = by_name[e["from"]], by_name[e["to"]]
            # An end is on the rim of its node's ring, not somewhere near it.
            start = math.hypot(e["x1"] - a["cx"], e["y1"] - a["cy"])
            end = math.hypot(e["x2"] - b["cx"], e["y2"] - b["cy"])
            if not (a["r"] <= start <= a["r"] + 14 and b["r"] <= end <= b["r"] + 14):
                fail("edge %s -> %s ends %.0f and %.0f px from its nodes' centres" % (e["from"], e["to"], start, end))
        check(True, "every edge starts at its caller's ring and ends at its callee's")
        cycle = set(spec["cycle"])
        backwards = [e["from"] + " -> " + e["to"] for e in edges
                     if by_name[e["from"]]["cx"] >= by_name[e["to"]]["cx"] and {e["from"], e["to"]} != cycle]
        check(not backwards, "every caller is in a column left of what it calls (but in the cycle): %s" % backwards)
        check(by_name["gateway"]["cx"] > by_name["client"]["cx"] and by_name["users"]["cx"] > by_name["auth"]["cx"],
              "layers follow the longest path: users, called by gateway and by auth, sits right of auth")

        for name in spec["inferred"]:
            check(by_name[name]["inferred"] and by_name[name]["dashed"], "%s is drawn as an inferred node (dashed)" % name)
        check(not any(n["inferred"] or n["dashed"] for n in nodes if n["name"] not in spec["inferred"]),
              "no instrumented service is drawn as inferred")
        for name in spec["long"]:
            label = by_name[name]["labels"][0]
            check(label.endswith("…") and name.startswith(label[:-1]) and by_name[name]["title"].startswith(name),
                  "the long name %s is cut to %r, whole in its title" % (name[:20], label))
            check(by_name[name]["box"]["w"] < 260, "its node stays narrower than a column (%.0f px)" % by_name[name]["box"]["w"])

        drawing = driver.execute_script(TEXTS)
        outside = [t["text"] for t in drawing["texts"]
                   if t["x"] < 0 or t["y"] < 0 or t["x"] + t["w"] > drawing["width"] or t["y"] + t["h"] > drawing["height"]]
        check(not outside, "all %d labels are inside the %dx%d drawing: %s" % (len(drawing["texts"]), drawing["width"], drawing["height"], outside))
        scroll = driver.execute_script(
            "const s = document.getElementById('map-scroll'); return [getComputedStyle(s).overflowX, s.scrollWidth, s.clientWidth]")
        check(scroll[0] == "auto" and scroll[1] >= drawing["width"], "a map wider than the window scrolls in its box: %s" % scroll)
        print("crossings left after the barycenter sweeps: %s" % driver.find_element(By.ID, "map").get_attribute("data-crossings"))

        # The whole map in the screenshot: a window as large as the drawing.
        driver.set_window_size(max(1400, int(drawing["width"]) + 80), int(drawing["height"]) + 260)
        driver.save_screenshot(os.path.join(SHOTS, "map-30.png"))

        for name, count in spec["traces"].items():
            driver.find_element(By.CSS_SELECTOR, '#map .node[data-name="%s"] circle' % name).click()
            wait(driver, lambda d: d.find_element(By.ID, "map-filter").text == 'Traces matching service("%s")' % name
                 and len(d.find_elements(By.CSS_SELECTOR, "#map-traces #traces-body tr")) == count,
                 "clicking %s lists its %d traces" % (name, count))
            check(driver.find_element(By.CSS_SELECTOR, '#map .node[data-name="%s"]' % name).get_attribute("class") == "node selected",
                  "and marks it selected")
    finally:
        driver.quit()


main()
