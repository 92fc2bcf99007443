// The usage panel of the admin page: a range of UTC days (and a group), totals per user and per group over it, and
// the CSV export link. Self-contained: it takes the report GET /hub/api/usage answers and renders it with
// Bootstrap's classes; hono/jsx escapes every value.
import type { FC } from 'hono/jsx';
import type { UsageReport, UsageTotals } from '../../usage/usage-report.js';

export interface UsagePanelProps {
  report: UsageReport;
  /** Where the range form is sent (GET, with since, until and group). */
  formAction: string;
  /** GET /hub/api/usage with the same query and format=csv. */
  csvHref: string;
}

type Total = { name: string; days: number } & UsageTotals;

/** The report's per-day entries summed over the range, one per name, most server-hours first. */
export function totalsByName(entries: readonly ({ name: string } & UsageTotals)[]): Total[] {
  const out = new Map<string, Total>();
  for (const e of entries) {
    const t = out.get(e.name) ?? { name: e.name, days: 0, server_hours: 0, cpu_seconds: 0, peak_memory_bytes: 0 };
    t.days += 1;
    t.server_hours += e.server_hours;
    t.cpu_seconds += e.cpu_seconds;
    t.peak_memory_bytes = Math.max(t.peak_memory_bytes, e.peak_memory_bytes);
    out.set(e.name, t);
  }
  return [...out.values()].sort((a, b) => b.server_hours - a.server_hours || a.name.localeCompare(b.name));
}

const number = (value: number, digits: number) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function bytes(value: number): string {
  if (value === 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = value;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${number(v, i === 0 ? 0 : 1)} ${units[i]}`;
}

const TotalsTable: FC<{ caption: string; label: string; rows: Total[]; id: string }> = ({ caption, label, rows, id }) => (
  <table class="table table-sm table-striped" id={id}>
    <caption>{caption}</caption>
    <thead>
      <tr>
        <th scope="col">{label}</th>
        <th scope="col" class="text-end">Days used</th>
        <th scope="col" class="text-end">Server hours</th>
        <th scope="col" class="text-end">CPU hours</th>
        <th scope="col" class="text-end">Peak memory</th>
      </tr>
    </thead>
    <tbody>
      {rows.length === 0 ? (
        <tr><td colspan={5}>No use in this range.</td></tr>
      ) : (
        rows.map((r) => (
          <tr data-name={r.name}>
            <th scope="row">{r.name}</th>
            <td class="text-end">{r.days}</td>
            <td class="text-end">{number(r.server_hours, 2)}</td>
            <td class="text-end">{number(r.cpu_seconds / 3600, 2)}</td>
            <td class="text-end">{bytes(r.peak_memory_bytes)}</td>
          </tr>
        ))
      )}
    </tbody>
  </table>
);

export const UsagePanel: FC<UsagePanelProps> = ({ report, formAction, csvHref }) => (
  <section class="card mb-4" id="usage" aria-labelledby="usage-title">
    <div class="card-body">
      <h2 class="card-title h4" id="usage-title">Usage</h2>
      <p class="text-body-secondary">
        {report.since} to {report.until} (UTC){report.group === null ? '' : `, group ${report.group}`}. Peak memory is the most one server used.
      </p>
      <form class="row g-2 align-items-end mb-3" method="get" action={formAction}>
        <div class="col-auto">
          <label class="form-label" for="usage-since">From</label>
          <input class="form-control" type="date" id="usage-since" name="since" value={report.since} />
        </div>
        <div class="col-auto">
          <label class="form-label" for="usage-until">To</label>
          <input class="form-control" type="date" id="usage-until" name="until" value={report.until} />
        </div>
        <div class="col-auto">
          <label class="form-label" for="usage-group">Group</label>
          <input class="form-control" id="usage-group" name="group" value={report.group ?? ''} placeholder="all users" />
        </div>
        <div class="col-auto">
          <button class="btn btn-primary" type="submit">Show</button>
        </div>
        <div class="col-auto">
          <a class="btn btn-outline-secondary" href={csvHref} download>Download CSV</a>
        </div>
      </form>
      <TotalsTable id="usage-users" caption="Per user" label="User" rows={totalsByName(report.users)} />
      <TotalsTable id="usage-groups" caption="Per group" label="Group" rows={totalsByName(report.groups)} />
    </div>
  </section>
);
