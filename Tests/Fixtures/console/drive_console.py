"""Drives the xray console in headless Chromium with Selenium and checks what a person would see.

Usage: drive_console.py URL XRAY STORE SCREENSHOTS

URL is the console `xray ui` printed, XRAY the built binary, STORE the store it serves (already holding the
real-SDK fixtures and xss.jsonl), SCREENSHOTS a folder for one PNG per page. Prints "ok: ..." per check and
exits 1 at the first failed one, naming it.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from browser_checks import browser, check, fail, wait

URL, XRAY, STORE, SHOTS = sys.argv[1:5]
HERE = os.path.dirname(os.path.abspath(__file__))
DOWNLOADS = tempfile.mkdtemp(prefix="console-downloads")
XSS_TRACE = "1-6b07c600-0123456789abcdef01234567"


def downloaded(driver, name, message):
    """The bytes of DOWNLOADS/name once the browser has finished writing it."""
    path = os.path.join(DOWNLOADS, name)
    wait(driver, lambda d: os.path.exists(path) and not os.path.exists(path + ".crdownload") and os.path.getsize(path) > 0, message)
    with open(path, "rb") as f:
        return f.read()


def cli(*arguments):
    return subprocess.run([XRAY, *arguments, "--store", STORE], check=True, capture_output=True).stdout


def rows(driver, body="traces-body"):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#" + body + " tr')).map(r => Array.from(r.cells).map(c => c.textContent))")


def no_alert(driver, where):
    try:
        driver.switch_to.alert
        fail("an alert opened on " + where)
    except NoAlertPresentException:
        pass
    check(driver.execute_script("return window.__xss === undefined"), "no script from a trace ran on " + where)


def shot(driver, name):
    driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def main():
    driver = browser(DOWNLOADS)
    try:
        driver.get(URL)
        # The list shows the traces: 10 from the SDK fixtures and the XSS one.
        wait(driver, lambda d: len(rows(d)) == 11, "the traces list shows the 11 stored traces")
        urls = [r[2] for r in rows(driver)]
        check("/hello/ada" in " ".join(urls) and "/users/" in " ".join(urls), "the list shows the Flask and Django requests")
        shot(driver, "traces")

        # Typing a filter narrows it.
        box = driver.find_element(By.ID, "filter")
        box.send_keys('service("flask-app")')
        wait(driver, lambda d: len(rows(d)) == 4, 'service("flask-app") narrows the list to the 4 Flask traces')
        check(all(r[5] == "flask-app" for r in rows(driver)), "every listed trace is flask-app's")
        box.send_keys(" AND http.status = 500")
        wait(driver, lambda d: len(rows(d)) == 1 and rows(d)[0][3] == "500", "adding http.status = 500 leaves the one fault")

        # A bad filter shows the caret message under the box, and keeps the last good list.
        box.clear()
        box.send_keys('service("flask-app") AND')
        wait(driver, lambda d: "^" in d.find_element(By.ID, "filter-error").text, "a bad filter shows the caret message")
        message = driver.find_element(By.ID, "filter-error").text
        check("expression ends" in message and 'service("flask-app") AND' in message, "the message quotes the filter and says why")
        shot(driver, "traces-bad-filter")
        box.clear()
        box.send_keys(Keys.ENTER)
        wait(driver, lambda d: len(rows(d)) == 11 and d.find_element(By.ID, "filter-error").text == "", "clearing the filter lists all again")

        # The response-time histogram counts the listed traces; dragging across its left part narrows the filter.
        heights = driver.execute_script("return Array.from(document.querySelectorAll('#histogram rect.fill-ok')).length")
        check(heights >= 2, "the histogram draws the response times in bins")
        chart = driver.find_element(By.ID, "histogram")
        width = chart.size["width"]
        webdriver.ActionChains(driver).move_to_element_with_offset(chart, int(-width / 2 + width * 0.06), 0).click_and_hold() \
            .move_by_offset(int(width * 0.1), 0).release().perform()
        wait(driver, lambda d: d.find_element(By.ID, "filter").get_attribute("value").startswith("responsetime >= "),
             "dragging across the histogram writes a responsetime range into the filter")
        wait(driver, lambda d: 0 < len(rows(d)) < 11, "the range leaves only the faster traces")
        check("250 ms" not in [r[4] for r in rows(driver)], "the 250 ms trace is outside the range")
        box = driver.find_element(By.ID, "filter")
        box.clear()
        box.send_keys(Keys.ENTER)
        wait(driver, lambda d: len(rows(d)) == 11, "clearing the range lists all again")

        # Keyboard: down twice selects the second row, Enter opens it.
        table = driver.find_element(By.ID, "traces")
        table.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN)
        second = rows(driver)[1]
        selected = driver.execute_script("return document.querySelector('#traces-body tr.selected').getAttribute('data-id')")
        table.send_keys(Keys.ENTER)
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline .row"), "Enter opens the selected trace")
        check(driver.find_element(By.ID, "trace-title").text == "Trace " + selected, "the trace opened is the one selected (%s)" % second[2])
        driver.back()
        wait(driver, lambda d: len(rows(d)) == 11, "back returns to the list")

        # A custom window, in local time: the second the Django requests arrived in lists those 4.
        driver.find_element(By.CSS_SELECTOR, "button[data-preset=custom]").click()
        driver.execute_script("""
            const local = (t) => { const d = new Date(t * 1000); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 19); };
            for (const [id, t] of [["range-from", 1795671443], ["range-to", 1795671444]]) {
              const field = document.getElementById(id);
              field.value = local(t);
              field.dispatchEvent(new Event("change"));
            }""")
        wait(driver, lambda d: len(rows(d)) == 4 and all(r[5] == "django-app" for r in rows(d)), "a custom window lists the traces that started in it")
        driver.find_element(By.CSS_SELECTOR, "button[data-preset=all]").click()
        wait(driver, lambda d: len(rows(d)) == 11, "the all preset lists all again")

        # A saved group is offered beside the box; choosing it filters by group.name.
        subprocess.run([XRAY, "inspect", "group", "add", "slow-django", 'service("django-app") AND responsetime > 0.0025', "--store", STORE],
                       check=True, capture_output=True)
        driver.refresh()
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#groups option")) == 2, "the saved group is offered")
        Select(driver.find_element(By.ID, "groups")).select_by_visible_text("slow-django")
        wait(driver, lambda d: d.find_element(By.ID, "filter").get_attribute("value") == 'group.name = "slow-django"' and len(rows(d)) == 1,
             "choosing it lists the one slow Django trace")
        box = driver.find_element(By.ID, "filter")
        box.clear()
        box.send_keys(Keys.ENTER)
        wait(driver, lambda d: len(rows(d)) == 11, "clearing it lists all again")

        # A trace arriving while the page is open appears within 2 s, without losing the selection.
        live_id = "1-%08x-%s" % (int(time.time()), "feedfacefeedfacefeedface")
        now = time.time()
        live = {"id": "dddddddddddddddd", "trace_id": live_id, "name": "live-arrival", "start_time": now, "end_time": now + 0.01,
                "http": {"request": {"method": "POST", "url": "http://localhost/live"}, "response": {"status": 201}}}
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write('{"format":"json","version":1}\n' + json.dumps(live) + "\n")
        subprocess.run([XRAY, "inspect", "import", f.name, "--store", STORE], check=True, capture_output=True)
        wait(driver, lambda d: any(r[2] == "http://localhost/live" for r in rows(d)), "a trace imported while the list is open appears within 2 s",
             timeout=2)
        check(len(rows(driver)) == 12, "the new trace joins the 11 already listed")

        # One trace: its timeline and tabs.
        flask = next(i for i, r in enumerate(rows(driver)) if r[2].endswith("/hello/ada"))
        driver.find_elements(By.CSS_SELECTOR, "#traces-body tr")[flask].click()
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline .row"), "the trace opens with its timeline")
        labels = driver.execute_script("return Array.from(document.querySelectorAll('#timeline .label')).map(t => t.textContent)")
        check(labels[0] == "flask-app" and "render" in labels, "the timeline lists the segment and its subsegments: %s" % labels)
        check(len(driver.find_elements(By.CSS_SELECTOR, "#timeline .axis text")) == 6, "the time axis has its ticks")
        check(driver.find_element(By.ID, "cli-command").text.startswith("xray inspect show 1-"), "the page names the CLI command that shows it")
        trace_id = driver.find_element(By.ID, "trace-title").text.split(" ")[1]
        driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": URL.rstrip("/"), "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
        driver.find_element(By.ID, "copy-command").click()
        wait(driver, lambda d: d.find_element(By.ID, "copy-command").text == "Copied", "the copy button copies the command")
        pasted = driver.execute_async_script("navigator.clipboard.readText().then(arguments[0], e => arguments[0]('refused: ' + e))")
        check(pasted == "xray inspect show " + trace_id, "the clipboard holds xray inspect show ID: %r" % pasted)
        driver.find_element(By.ID, "export-xray").click()
        saved = downloaded(driver, trace_id + ".xray.json", "the X-Ray JSON export downloads as ID.xray.json")
        check(saved == cli("inspect", "show", trace_id, "--format", "xray"), "it holds exactly what xray inspect show --format xray prints")
        driver.find_element(By.ID, "export-otlp").click()
        saved = downloaded(driver, trace_id + ".otlp.json", "the OTLP/JSON export downloads as ID.otlp.json")
        check(saved == cli("inspect", "export", trace_id, "--format", "otlp"), "it holds exactly what xray inspect export --format otlp prints")
        driver.find_element(By.CSS_SELECTOR, "#timeline .toggle").click()
        visible = driver.execute_script("return Array.from(document.querySelectorAll('#timeline .row')).filter(r => r.getAttribute('display') !== 'none').length")
        check(visible == 1, "collapsing the segment hides its subsegments")
        driver.find_element(By.CSS_SELECTOR, "#timeline .toggle").click()
        visible = driver.execute_script("return Array.from(document.querySelectorAll('#timeline .row')).filter(r => r.getAttribute('display') !== 'none').length")
        check(visible == 3, "expanding it shows them again")
        timeline = driver.find_element(By.ID, "timeline")
        driver.execute_script("arguments[0].focus()", timeline)
        timeline.send_keys(Keys.ARROW_DOWN)
        check(driver.find_element(By.ID, "details-name").text == "render", "down arrow selects the next entity in the tree")
        timeline.send_keys(Keys.ARROW_UP, Keys.ARROW_LEFT)
        visible = driver.execute_script("return Array.from(document.querySelectorAll('#timeline .row')).filter(r => r.getAttribute('display') !== 'none').length")
        check(driver.find_element(By.ID, "details-name").text == "flask-app" and visible == 1, "up selects the segment and left collapses it")
        timeline.send_keys(Keys.ARROW_RIGHT)
        visible = driver.execute_script("return Array.from(document.querySelectorAll('#timeline .row')).filter(r => r.getAttribute('display') !== 'none').length")
        check(visible == 3, "right expands it again")
        check("Fault (5xx)" in driver.find_element(By.ID, "legend").text, "the legend names the colours")
        overview = driver.find_element(By.ID, "tab-content").text
        check("http://localhost/hello/ada" in overview and "GET" in overview and "200" in overview, "the overview shows the request")
        driver.find_element(By.CSS_SELECTOR, "button[data-tab=Annotations]").click()
        check('"ada"' in driver.find_element(By.ID, "annotations").text, "the annotations tab shows user = ada")
        driver.find_element(By.CSS_SELECTOR, "button[data-tab=Metadata]").click()
        check('"name": "ada"' in driver.find_element(By.ID, "metadata").text, "the metadata tab shows the metadata, pretty")
        driver.find_element(By.CSS_SELECTOR, "#metadata summary").click()
        check('"name": "ada"' not in driver.find_element(By.ID, "metadata").text, "a metadata namespace collapses")
        search = driver.find_element(By.ID, "trace-search")
        search.send_keys("render")
        dimmed = driver.execute_script("return Array.from(document.querySelectorAll('#timeline .row')).map(r => r.classList.contains('dim'))")
        check(dimmed == [True, False, True], "searching the trace for 'render' leaves only that subsegment bright: %s" % dimmed)
        search.send_keys(Keys.BACKSPACE * len("render"))
        dimmed = driver.execute_script("return Array.from(document.querySelectorAll('#timeline .row')).filter(r => r.classList.contains('dim')).length")
        check(dimmed == 0, "emptying the search brightens every entity again")
        driver.find_element(By.CSS_SELECTOR, "button[data-tab=Raw]").click()
        check('"trace_id"' in driver.find_element(By.ID, "raw").text, "the raw tab shows the document")
        driver.find_element(By.CSS_SELECTOR, "button[data-tab=Overview]").click()
        shot(driver, "trace")

        # SQL and exceptions, on the traces that have them.
        sql_trace = json.loads(subprocess.run([XRAY, "inspect", "traces", "--store", STORE, "--format", "json", "--filter", 'http.url CONTAINS "/users/"'],
                                              check=True, capture_output=True, text=True).stdout)
        driver.get(URL + "#/trace/" + sql_trace["TraceSummaries"][0]["Id"])
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#timeline .row")) == 2, "the Django trace shows its query subsegment")
        driver.find_elements(By.CSS_SELECTOR, "#timeline .row")[1].click()
        driver.find_element(By.CSS_SELECTOR, "button[data-tab=SQL]").click()
        check('FROM "auth_user"' in driver.find_element(By.ID, "sql-query").text, "the SQL tab shows the query text")
        fault = json.loads(subprocess.run([XRAY, "inspect", "traces", "--store", STORE, "--format", "json", "--filter", 'service("flask-app") AND fault'],
                                          check=True, capture_output=True, text=True).stdout)
        driver.get(URL + "#/trace/" + fault["TraceSummaries"][0]["Id"])
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline .row"), "the Flask fault opens")
        driver.find_element(By.CSS_SELECTOR, "button[data-tab=Exceptions]").click()
        text = driver.find_element(By.ID, "exceptions").text
        check("ValueError: kaboom" in text and "capture_fixtures.py:122" in text, "the exceptions tab shows type, message and file:line")
        shot(driver, "trace-exception")

        # The map: nodes, and a click lists that service's traces.
        driver.get(URL + "#/map")
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#map .node"), "the map shows nodes")
        names = driver.execute_script("return Array.from(document.querySelectorAll('#map .node')).map(n => n.getAttribute('data-name'))")
        check({"flask-app", "django-app", "aiohttp-front"} <= set(names), "the map has the services: %s" % names)
        check(len(driver.find_elements(By.CSS_SELECTOR, "#map .edge")) >= 4, "the map draws the edges")
        ring = driver.execute_script("return Array.from(document.querySelectorAll('#map .node[data-name=\"flask-app\"] .ring'))"
                                     ".map(r => r.getAttribute('data-part') + '=' + r.getAttribute('data-count'))")
        check(ring == ["ok=2", "error=1", "fault=1"], "flask-app's health ring shows 2 ok, 1 error, 1 fault: %s" % ring)
        colours = driver.execute_script("return Array.from(document.querySelectorAll('#map .node[data-name=\"flask-app\"] .ring'))"
                                        ".map(r => getComputedStyle(r).stroke)")
        check(len(set(colours)) == 3, "each arc of the ring has its own colour: %s" % colours)
        shot(driver, "map")
        driver.find_element(By.CSS_SELECTOR, '#map .node[data-name="django-app"] circle').click()
        wait(driver, lambda d: len(rows(d)) == 4, "clicking django-app lists its 4 traces")
        check(all(r[5] == "django-app" for r in rows(driver)), "every trace listed under django-app is django-app's")
        edge = driver.find_element(By.CSS_SELECTOR, '#map .edge-hit[data-edge="flask-app -> 127.0.0.1"]')
        driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", edge)
        wait(driver, lambda d: d.find_element(By.ID, "map-filter").text == 'Traces matching edge("flask-app", "127.0.0.1")' and len(rows(d)) == 1,
             "clicking the flask-app -> 127.0.0.1 edge lists the one trace that made that call")
        check(rows(driver)[0][2].endswith("/api/orders"), "it is the /api/orders request")

        # Runs: one recorded now is listed with its command and exit status; a click lists its traces.
        subprocess.run([XRAY, "run", "--store", STORE, "--", "sh", "-c", "exit 3"], capture_output=True)
        driver.get(URL + "#/runs")
        wait(driver, lambda d: len(rows(d, "runs-body")) == 1, "the runs page lists the run")
        run = rows(driver, "runs-body")[0]
        check(run[2] == "sh -c exit 3" and run[3] == "3" and run[5] == "1", "the run shows its command, exit status and trace count: %s" % run)
        driver.find_element(By.CSS_SELECTOR, "#runs-body tr").click()
        wait(driver, lambda d: len(rows(d)) == 1, "clicking the run lists the one trace it captured")
        run_trace = driver.execute_script("return document.querySelector('#traces-body tr').getAttribute('data-id')")
        shot(driver, "runs")
        driver.get(URL + "#/traces")
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#run-picker option")) == 2, "the traces page offers the run in its picker")
        Select(driver.find_element(By.ID, "run-picker")).select_by_value("1")
        wait(driver, lambda d: len(rows(d)) == 1 and d.execute_script("return document.querySelector('#traces-body tr').getAttribute('data-id')")
             == run_trace, "picking the run lists its one trace")
        Select(driver.find_element(By.ID, "run-picker")).select_by_value("")
        wait(driver, lambda d: len(rows(d)) > 1, "picking all traces lists them all again")

        # The XSS trace renders inert everywhere.
        driver.get(URL + "#/traces")
        wait(driver, lambda d: any("javascript:" in r[2] for r in rows(d)), "the hostile trace is listed with its URL as text")
        check(driver.execute_script("return document.querySelectorAll('#main a, #main script, #main img').length") == 0,
              "no link, script or image was made from trace data")
        no_alert(driver, "the list")
        driver.get(URL + "#/trace/" + XSS_TRACE)
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline .row"), "the hostile trace opens")
        labels = driver.execute_script("return Array.from(document.querySelectorAll('#timeline .label')).map(t => t.textContent)")
        check(labels[0] == "xss<script>alert(1)</script>", "the hostile name shows as text")
        for row in driver.find_elements(By.CSS_SELECTOR, "#timeline .row"):
            row.click()
            for tab in ("Overview", "Annotations", "Metadata", "SQL", "Exceptions", "Raw"):
                driver.find_element(By.CSS_SELECTOR, "button[data-tab=%s]" % tab).click()
                webdriver.ActionChains(driver).move_to_element(driver.find_element(By.ID, "tab-content")).perform()
        check(driver.execute_script("return document.querySelectorAll('#main a, #main script, #main img').length") == 0,
              "no link, script or image in the hostile trace's tabs")
        shot(driver, "trace-hostile")
        no_alert(driver, "the hostile trace")
        violations = [e for e in driver.get_log("browser") if "Content Security Policy" in e.get("message", "")]
        check(not violations, "the page itself broke no rule of its Content-Security-Policy: %s" % violations)
        hosts = set()
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                url = message["params"]["request"]["url"]
                if not url.startswith("data:"):
                    hosts.add(url.split("/")[2])
        check(hosts == {URL.split("/")[2]}, "every request the page made went to the console's server: %s" % sorted(hosts))
        # Paging: past 100 traces the list offers the next page and keeps it current.
        lines = ['{"format":"json","version":1}']
        base = time.time() - 60
        for i in range(120):
            lines.append(json.dumps({"id": "%016x" % (0xe000 + i), "trace_id": "1-%08x-%024x" % (int(base), 0xabc000 + i), "name": "bulk",
                                     "start_time": base + i * 0.01, "end_time": base + i * 0.01 + 0.001}))
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write("\n".join(lines) + "\n")
        subprocess.run([XRAY, "inspect", "import", f.name, "--store", STORE], check=True, capture_output=True)
        total = len(json.loads(subprocess.run([XRAY, "inspect", "traces", "--store", STORE, "--format", "json", "--limit", "1000", "--include-runs"],
                                              check=True, capture_output=True, text=True).stdout)["TraceSummaries"])
        driver.get(URL + "#/traces")
        wait(driver, lambda d: len(rows(d)) == 100 and d.find_element(By.ID, "load-more").is_displayed(), "the list shows the newest 100 and offers more")
        driver.find_element(By.ID, "load-more").click()
        wait(driver, lambda d: len(rows(d)) == total and not d.find_element(By.ID, "load-more").is_displayed(),
             "loading more lists all %d traces" % total)
    finally:
        driver.quit()


main()
