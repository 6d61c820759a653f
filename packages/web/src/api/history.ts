import { api, mapLimit, qs } from './client.ts';
import type { ControlHistoryEntry, ControlStatus } from './types.ts';

/** Per day of the last `days`, how many of the agreement's controls were met: rebuilt from each
 * control's history (status changes and daily points), the status in force at each day's end. */
export async function loadTrend(
  agreementId: string,
  controls: ControlStatus[],
  days = 30,
  signal?: AbortSignal,
) {
  const dayList: string[] = [];
  const today = new Date();
  for (let i = days - 1; i >= 0; i--)
    dayList.push(new Date(today.getTime() - i * 86_400_000).toISOString().slice(0, 10));
  const histories = await mapLimit(controls, 6, (c) =>
    api<ControlHistoryEntry[]>(
      `/agreements/${agreementId}/controls/${encodeURIComponent(c.controlId)}/history${qs({ limit: 200 })}`,
      { signal },
    ).catch(() => [] as ControlHistoryEntry[]),
  );
  const met = dayList.map(() => 0);
  const known = dayList.map(() => 0);
  histories.forEach((h) => {
    const asc = [...h].sort((a, b) => (a.evaluatedAt < b.evaluatedAt ? -1 : 1));
    dayList.forEach((d, i) => {
      let status: string | null = null;
      for (const e of asc) if (e.day <= d) status = e.status;
      if (status) known[i]! += 1;
      if (status === 'pass') met[i]! += 1;
    });
  });
  return { days: dayList, met, known };
}
