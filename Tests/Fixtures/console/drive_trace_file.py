"""Opens pages `xray inspect show ID --format html` wrote, from file:// URLs in headless Chromium, and checks
that the console's trace view works there offline: timeline, tree, legend, search, tabs and the X-Ray JSON
download, with the hostile trace inert.

Usage: drive_trace_file.py XRAY STORE SHOTS

XRAY is the built binary, STORE a store holding the real-SDK fixtures and xss.jsonl, SHOTS a folder for the
screenshots. Prints "ok: ..." per check and exits 1 at the first failed one, naming it.
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_checks import browser, check, fail, wait

XRAY, STORE, SHOTS = sys.argv[1:4]
XSS_TRACE = "1-6b07c600-0123456789abcdef01234567"
FOLDER = tempfile.mkdtemp(prefix="trace-file")
DOWNLOADS = os.path.join(FOLDER, "downloads")


def cli(*arguments):
    return subprocess.run([XRAY, *arguments, "--store", STORE], check=True, capture_output=True).stdout


def trace_id(expression):
    listed = json.loads(cli("inspect", "traces", "--format", "json", "--filter", expression))
    return listed["TraceSummaries"][0]["Id"]


def save_page(trace):
    """The trace's page, written by the CLI to a file; its file:// URL and its text."""
    path = os.path.join(FOLDER, trace + ".html")
    page = cli("inspect", "show", trace, "--format", "html")
    with open(path, "wb") as f:
        f.write(page)
    return "file://" + path, page.decode()


def labels(driver):
    return driver.execute_script("return Array.from(document.querySelectorAll('#timeline .label')).map(t => t.textContent)")


def visible_rows(driver):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#timeline .row')).filter(r => r.getAttribute('display') !== 'none').length")


def requests(driver):
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def main():
    os.makedirs(DOWNLOADS)
    driver = browser(DOWNLOADS)
    try:
        # The Flask trace: the same view as the console's trace page.
        flask = trace_id('http.url CONTAINS "/hello/ada"')
        url, page = save_page(flask)
        inline = re.search(r"<script>(.*)</script>", page, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        check("script-src 'sha256-%s'" % digest in page, "the page's CSP allows its one inline script by its SHA-256")
        driver.get(url)
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline .row"), "the saved page draws the timeline from file://")
        check(driver.title == "xray trace " + flask, "the title names the trace")
        check(driver.find_element(By.ID, "trace-title").text == "Trace " + flask, "the heading names the trace")
        check(labels(driver)[0] == "flask-app" and "render" in labels(driver), "the tree lists the segment and its subsegments: %s" % labels(driver))
        check(len(driver.find_elements(By.CSS_SELECTOR, "#timeline .axis text")) == 6, "the time axis has its ticks")
        check("Fault (5xx)" in driver.find_element(By.ID, "legend").text, "the legend names the colours")
        check(driver.find_element(By.ID, "cli-command").text == "xray inspect show " + flask, "the page names the CLI command that shows it")
        driver.find_element(By.CSS_SELECTOR, "#timeline .toggle").click()
        check(visible_rows(driver) == 1, "collapsing the segment hides its subsegments")
        driver.find_element(By.CSS_SELECTOR, "#timeline .toggle").click()
        check(visible_rows(driver) == 3, "expanding it shows them again")
        overview = driver.find_element(By.ID, "tab-content").text
        check("http://localhost/hello/ada" in overview and "GET" in overview, "the overview tab shows the request")
        driver.find_element(By.CSS_SELECTOR, "button[data-tab=Annotations]").click()
        check('"ada"' in driver.find_element(By.ID, "annotations").text, "the annotations tab shows user = ada")
        driver.find_element(By.CSS_SELECTOR, "button[data-tab=Metadata]").click()
        check('"name": "ada"' in driver.find_element(By.ID, "metadata").text, "the metadata tab shows the metadata")
        driver.find_element(By.CSS_SELECTOR, "button[data-tab=Raw]").click()
        check('"trace_id"' in driver.find_element(By.ID, "raw").text, "the raw tab shows the document")
        driver.find_element(By.CSS_SELECTOR, "button[data-tab=Overview]").click()
        search = driver.find_element(By.ID, "trace-search")
        search.send_keys("render")
        dimmed = driver.execute_script("return Array.from(document.querySelectorAll('#timeline .row')).map(r => r.classList.contains('dim'))")
        check(dimmed == [True, False, True], "searching for 'render' leaves only that subsegment bright: %s" % dimmed)
        search.send_keys(Keys.BACKSPACE * len("render"))
        driver.find_element(By.ID, "export-xray").click()
        path = os.path.join(DOWNLOADS, flask + ".xray.json")
        wait(driver, lambda d: os.path.exists(path) and not os.path.exists(path + ".crdownload") and os.path.getsize(path) > 0,
             "the X-Ray JSON download works offline, from the embedded data")
        with open(path) as f:
            saved = json.load(f)
        check(saved == json.loads(cli("inspect", "show", flask, "--format", "xray")), "it is the trace xray inspect show --format xray prints")
        note = driver.find_element(By.ID, "export-otlp-note").text
        check("xray inspect export " + flask + " --format otlp" in note, "the OTLP/JSON export is a note naming the command: %s" % note)
        driver.save_screenshot(os.path.join(SHOTS, "trace-file.png"))
        network = [u for u in requests(driver) if not u.startswith("data:")]
        check(network == [url], "the page loaded nothing but itself: %s" % network)

        # The batch trace: every entity has a row.
        batch = trace_id('service("nightly-batch")')
        driver.get(save_page(batch)[0])
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline .row"), "the batch trace's page opens")
        names = labels(driver)
        check(names.count("step") == 8 and "parse" in names and len(names) == 11, "every one of its 11 entities has a row: %s" % names)
        check("11 entities" in driver.find_element(By.ID, "main").text, "the page counts them")

        # The hostile trace: markup in its values stays text, and nothing from it runs.
        url, page = save_page(XSS_TRACE)
        data = re.search(r'<script type="application/json" id="trace-data">(.*?)</script>', page, re.S).group(1)
        check("<" not in data and ">" not in data, "the embedded data holds no < or >")
        driver.get(url)
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline .row"), "the hostile trace's page opens")
        check(labels(driver)[0] == "xss<script>alert(1)</script>", "the hostile name shows as text")
        for row in driver.find_elements(By.CSS_SELECTOR, "#timeline .row"):
            row.click()
            for tab in ("Overview", "Annotations", "Metadata", "SQL", "Exceptions", "Raw"):
                driver.find_element(By.CSS_SELECTOR, "button[data-tab=%s]" % tab).click()
                webdriver.ActionChains(driver).move_to_element(driver.find_element(By.ID, "tab-content")).perform()
        check(driver.execute_script("return document.querySelectorAll('#main a, #main script, #main img').length") == 0,
              "no link, script or image was made from trace data")
        check(driver.execute_script("return document.scripts.length") == 2, "the page has only its own two script elements")
        try:
            driver.switch_to.alert
            fail("an alert opened on the hostile trace's page")
        except NoAlertPresentException:
            pass
        check(driver.execute_script("return window.__xss === undefined"), "no script from the trace ran")
        driver.save_screenshot(os.path.join(SHOTS, "trace-file-hostile.png"))
        violations = [e for e in driver.get_log("browser") if "Content Security Policy" in e.get("message", "")]
        check(not violations, "the pages broke no rule of their Content-Security-Policy: %s" % violations)
    finally:
        driver.quit()


main()
