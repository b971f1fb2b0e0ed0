extension ConsoleAssets {
    /// The runs page.
    static let scriptRuns = #"""
        // ---------------------------------------------------------------- Runs

        async function runsPage() {
          const answer = await api("/ui/api/runs");
          const runs = answer.ok ? (answer.json.Runs || []) : [];
          const list = el("div", { id: "run-traces" });
          const body = el("tbody", { id: "runs-body" });
          for (const run of runs) {
            const duration = typeof run.EndTime === "number" ? ms(run.EndTime - run.StartTime) : "-";
            const row = el("tr", { "data-run": String(run.Id) }, el("td", {}, run.Id), el("td", {}, localTime(run.StartTime)),
              el("td", {}, (run.Command || []).join(" ")), el("td", {}, run.ExitStatus === null || run.ExitStatus === undefined ? "-" : run.ExitStatus),
              el("td", {}, duration), el("td", {}, run.TraceCount));
            row.addEventListener("click", async () => {
              body.querySelectorAll("tr").forEach((r) => r.classList.toggle("selected", r === row));
              const traces = await api("/ui/api/RunTraces", { RunId: run.Id });
              const table = traceTable(openTrace);
              list.replaceChildren(el("h2", {}, "Traces of run " + run.Id), traces.ok ? table.node : el("pre", {}, traces.json.message || ""));
              if (traces.ok) table.update(traces.json.TraceSummaries || []);
            });
            body.append(row);
          }
          main().replaceChildren(runs.length ? el("table", { id: "runs" },
            el("thead", {}, el("tr", {}, ...["Run", "Started", "Command", "Exit", "Duration", "Traces"].map((h) => el("th", {}, h)))), body)
            : el("div", { class: "empty", id: "runs" }, "No runs yet: xray run -- COMMAND records one."), list);
        }

        """#
}
