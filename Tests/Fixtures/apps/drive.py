"""Starts a web server command, waits for its port, requests some paths, stops it.

usage: drive.py PORT PATH[,PATH...] -- CMD ARGS...   (the server inherits this process's environment)
Prints one line per request: PATH STATUS.
"""
import subprocess
import sys
import time
import urllib.error
import urllib.request

port, paths = sys.argv[1], sys.argv[2].split(",")
command = sys.argv[sys.argv.index("--") + 1:]
server = subprocess.Popen(command)
try:
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/nothing-here", timeout=1)
        except urllib.error.HTTPError:
            break
        except Exception:
            if time.time() > deadline or server.poll() is not None:
                sys.exit(f"the server did not start (exit {server.poll()})")
            time.sleep(0.1)
            continue
        break
    for p in paths:
        try:
            status = urllib.request.urlopen(f"http://127.0.0.1:{port}{p}", timeout=10).status
        except urllib.error.HTTPError as e:
            status = e.code
        print(p, status, flush=True)
finally:
    server.terminate()
    server.wait(timeout=10)
