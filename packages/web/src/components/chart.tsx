import { useEffect, useRef } from 'react';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

// Only the pieces the screens use are registered, so the rest of Chart.js stays out of the bundle.
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.color = '#334155';

export interface Series {
  label: string;
  data: number[];
  color: string;
}

/**
 * A line or bar chart. The canvas is an image to assistive technology, labelled with `label`; the
 * `summary` (a sentence with the numbers) is read out instead of the drawing.
 */
export function ChartView({
  type,
  labels,
  series,
  label,
  summary,
  stacked = false,
  yMax,
  height = 220,
}: {
  type: 'line' | 'bar';
  labels: string[];
  series: Series[];
  label: string;
  summary: string;
  stacked?: boolean;
  yMax?: number;
  height?: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);

  useEffect(() => {
    if (!canvas.current) return;
    const config: ChartConfiguration = {
      type,
      data: {
        labels,
        datasets: series.map((s) => ({
          label: s.label,
          data: s.data,
          borderColor: s.color,
          backgroundColor: type === 'bar' ? s.color : `${s.color}33`,
          fill: type === 'line' && !stacked,
          tension: 0.2,
          pointRadius: labels.length > 40 ? 0 : 2,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { display: series.length > 1, position: 'bottom' } },
        scales: {
          x: { stacked, ticks: { maxTicksLimit: 10, autoSkip: true } },
          y: {
            stacked,
            beginAtZero: true,
            ...(yMax !== undefined ? { max: yMax } : {}),
            ticks: { precision: 0 },
          },
        },
      },
    };
    chart.current?.destroy();
    chart.current = new Chart(canvas.current, config);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, [type, labels, series, stacked, yMax]);

  return (
    <figure className="chart" style={{ height }}>
      <canvas ref={canvas} role="img" aria-label={`${label}. ${summary}`} />
      <figcaption className="visually-hidden">{summary}</figcaption>
    </figure>
  );
}
