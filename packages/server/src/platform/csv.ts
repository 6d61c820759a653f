/**
 * One CSV cell, always quoted. A cell starting with = + - @ is prefixed with ' so that a spreadsheet
 * does not run it as a formula (log lines and alert summaries carry attacker-controlled text).
 */
export const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"`;
};

/** A CSV document: a header line, one line per row, a final newline. */
export function toCsv<T>(columns: readonly (keyof T & string)[], rows: readonly T[]): string {
  return (
    [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n'
  );
}
