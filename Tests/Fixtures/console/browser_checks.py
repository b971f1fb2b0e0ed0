"""What the console's Selenium drivers share: headless Chromium from the Debian packages, and checks that print
"ok: ..." or stop the driver at the first failure, naming it."""
import sys

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.support.ui import WebDriverWait


def fail(message):
    print("FAILED: " + message, flush=True)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print("ok: " + message, flush=True)


def wait(driver, predicate, message, timeout=10):
    try:
        # Pages re-render (the list each second): an element read while it is replaced is "not yet", not a failure.
        result = WebDriverWait(driver, timeout, poll_frequency=0.1,
                               ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: predicate(d))
    except TimeoutException:
        fail(message)
    print("ok: " + message, flush=True)
    return result


def browser(downloads=None):
    """Headless Chromium at 1400x900; with `downloads`, its browser and performance logs kept and downloads
    saved in that folder without asking."""
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    if downloads is not None:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"), options=options)
    if downloads is not None:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    return driver
