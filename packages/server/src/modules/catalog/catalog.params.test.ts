import { describe, it, expect } from 'vitest';
import type { CatalogParameter } from '@accord/contracts';
import { checkParameterValue, defaultParameters, formatParameterValue } from './catalog.params.ts';
import { loadCatalog } from './catalog.loader.ts';

const retention: CatalogParameter = {
  name: 'log_retention_days',
  type: 'integer',
  unit: 'days',
  description: 'Days logs are kept.',
  default: 180,
  floor: 180,
};

const notification: CatalogParameter = {
  name: 'incident_notification_hours',
  type: 'integer',
  unit: 'hours',
  description: 'Hours to notify.',
  default: 24,
  ceiling: 72,
};

const coverage: CatalogParameter = {
  name: 'msp_mfa_coverage',
  type: 'ratio',
  description: 'Share of MSP accounts with MFA.',
  default: 1,
  floor: 1,
};

const param = (type: CatalogParameter['type'], extra: Partial<CatalogParameter> = {}): CatalogParameter => ({
  name: 'p',
  type,
  description: 'x',
  default: 0,
  ...extra,
});

describe('checkParameterValue', () => {
  it('accepts values at and beyond the floor', () => {
    expect(checkParameterValue(retention, 180)).toEqual({ ok: true });
    expect(checkParameterValue(retention, 400)).toEqual({ ok: true });
  });

  it('rejects values below the floor, in product words', () => {
    expect(checkParameterValue(retention, 90)).toEqual({
      ok: false,
      kind: 'below_floor',
      message: 'log_retention_days 90 is below the floor of 180 days',
    });
  });

  it('accepts values at and under the ceiling, rejects values above it', () => {
    expect(checkParameterValue(notification, 72)).toEqual({ ok: true });
    expect(checkParameterValue(notification, 4)).toEqual({ ok: true });
    expect(checkParameterValue(notification, 96)).toEqual({
      ok: false,
      kind: 'above_ceiling',
      message: 'incident_notification_hours 96 is above the ceiling of 72 hours',
    });
  });

  it('writes ratios as percentages', () => {
    expect(checkParameterValue(coverage, 0.95)).toEqual({
      ok: false,
      kind: 'below_floor',
      message: 'msp_mfa_coverage 95% is below the floor of 100%',
    });
    expect(checkParameterValue(coverage, 1)).toEqual({ ok: true });
  });

  it('uses the singular unit for 1', () => {
    const offboarding = param('integer', { name: 'offboarding_days', unit: 'days', ceiling: 1 });
    const result = checkParameterValue(offboarding, 3);
    expect(result).toMatchObject({
      kind: 'above_ceiling',
      message: 'offboarding_days 3 is above the ceiling of 1 day',
    });
    expect(formatParameterValue(offboarding, 2)).toBe('2 days');
  });

  it('rejects values of the wrong type', () => {
    const bad: Array<[CatalogParameter, unknown]> = [
      [retention, '180'],
      [retention, 180.5],
      [retention, undefined],
      [param('number'), Number.NaN],
      [param('number'), Number.POSITIVE_INFINITY],
      [coverage, 1.2],
      [coverage, -0.1],
      [param('boolean'), 'true'],
      [param('string'), 5],
      [param('string_list'), 'a'],
      [param('string_list'), ['a', 1]],
    ];
    for (const [p, value] of bad) {
      const result = checkParameterValue(p, value);
      expect(result.ok, `${p.type} ${String(value)}`).toBe(false);
      if (!result.ok) expect(result.kind).toBe('type');
    }
    expect(checkParameterValue(retention, '180')).toEqual({
      ok: false,
      kind: 'type',
      message: 'log_retention_days must be a whole number, got "180"',
    });
    expect(checkParameterValue(coverage, 1.2)).toMatchObject({
      message: 'msp_mfa_coverage must be a ratio between 0 and 1, got 1.2',
    });
  });

  it('accepts values of each type', () => {
    expect(checkParameterValue(param('number'), 2.5)).toEqual({ ok: true });
    expect(checkParameterValue(param('boolean'), false)).toEqual({ ok: true });
    expect(checkParameterValue(param('string'), '')).toEqual({ ok: true });
    expect(checkParameterValue(param('string_list'), [])).toEqual({ ok: true });
    expect(checkParameterValue(param('string_list'), ['a', 'b'])).toEqual({ ok: true });
  });
});

describe('defaultParameters', () => {
  const catalog = loadCatalog();

  it('returns each parameter default by name', () => {
    const log01 = catalog.controls.find((c) => c.id === 'LOG-01');
    expect(log01).toBeDefined();
    const defaults = defaultParameters(log01!);
    expect(Object.keys(defaults)).toEqual(['log_retention_days', 'required_log_sources']);
    expect(defaults.log_retention_days).toBe(180);
    expect(defaults.required_log_sources).toEqual(
      expect.arrayContaining(['identity_signin', 'edr', 'firewall']),
    );
  });

  it('copies list defaults so callers cannot change the catalog', () => {
    const log01 = catalog.controls.find((c) => c.id === 'LOG-01')!;
    const defaults = defaultParameters(log01);
    (defaults.required_log_sources as string[]).push('extra');
    expect(log01.parameters.find((p) => p.name === 'required_log_sources')?.default).not.toContain('extra');
  });

  it('is empty for a control without parameters', () => {
    const log03 = catalog.controls.find((c) => c.id === 'LOG-03')!;
    expect(defaultParameters(log03)).toEqual({});
  });

  it('passes every default of the shipped catalog', () => {
    for (const control of catalog.controls) {
      const defaults = defaultParameters(control);
      for (const p of control.parameters)
        expect(checkParameterValue(p, defaults[p.name])).toEqual({ ok: true });
    }
  });
});
