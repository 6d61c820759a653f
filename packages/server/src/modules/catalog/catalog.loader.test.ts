import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { CatalogLoadError, DEFAULT_CATALOG_FILE, loadCatalog, parseCatalog } from './catalog.loader.ts';
import { checkParameterValue } from './catalog.params.ts';

// A small valid catalog. Line numbers (1-based) matter: the broken-catalog tests below edit single
// lines and assert the exact line the error points at.
const FIXTURE = [
  /*  1 */ 'catalog:',
  /*  2 */ '  id: test-catalog',
  /*  3 */ '  version: 1.0.0',
  /*  4 */ '  title: Test catalog',
  /*  5 */ "  published: '2026-11-26'",
  /*  6 */ '  source: unit test',
  /*  7 */ 'groups:',
  /*  8 */ '  - id: LOG',
  /*  9 */ '    title: Logging',
  /* 10 */ '    description: Keep logs.',
  /* 11 */ '  - id: MFA',
  /* 12 */ '    title: MFA',
  /* 13 */ '    description: Use MFA.',
  /* 14 */ 'controls:',
  /* 15 */ '  - id: LOG-01',
  /* 16 */ '    group: LOG',
  /* 17 */ '    title: Logs are kept',
  /* 18 */ '    objective: Keep logs long enough.',
  /* 19 */ '    default_owner: shared',
  /* 20 */ '    basis: explicit',
  /* 21 */ '    advisory: store logs for six months',
  /* 22 */ '    parameters:',
  /* 23 */ '      - name: log_retention_days',
  /* 24 */ '        type: integer',
  /* 25 */ '        unit: days',
  /* 26 */ '        description: Days logs are kept.',
  /* 27 */ '        default: 180',
  /* 28 */ '        floor: 180',
  /* 29 */ '    targets:',
  /* 30 */ '      - metric: min_retention_days',
  /* 31 */ "        op: '>='",
  /* 32 */ '        param: log_retention_days',
  /* 33 */ '    verification:',
  /* 34 */ '      mode: automatic',
  /* 35 */ '      sources: [log_store_config]',
  /* 36 */ '      logic: Read the retention policy.',
  /* 37 */ '    cadence: daily',
  /* 38 */ '    notification_sla_hours: 24',
  /* 39 */ '    mappings:',
  /* 40 */ '      nist_csf_2: [PR.PS-04]',
  /* 41 */ "      cis_v8: ['8.10']",
  /* 42 */ '  - id: MFA-01',
  /* 43 */ '    group: MFA',
  /* 44 */ '    title: MFA on MSP accounts',
  /* 45 */ '    objective: Every MSP account uses MFA.',
  /* 46 */ '    default_owner: shared',
  /* 47 */ '    basis: explicit',
  /* 48 */ '    advisory: enforce MFA on MSP accounts',
  /* 49 */ '    parameters:',
  /* 50 */ '      - name: msp_mfa_coverage',
  /* 51 */ '        type: ratio',
  /* 52 */ '        description: Share of MSP accounts with MFA.',
  /* 53 */ '        default: 1.0',
  /* 54 */ '        floor: 1.0',
  /* 55 */ '    targets:',
  /* 56 */ '      - metric: msp_accounts_mfa_ratio',
  /* 57 */ "        op: '>='",
  /* 58 */ '        param: msp_mfa_coverage',
  /* 59 */ '    verification:',
  /* 60 */ '      mode: automatic',
  /* 61 */ '      sources: [idp_export]',
  /* 62 */ '      logic: Count MSP accounts with MFA.',
  /* 63 */ '    cadence: daily',
  /* 64 */ '    notification_sla_hours: 4',
  /* 65 */ '    mappings:',
  /* 66 */ "      cisa_cpg_2: ['3.F']",
];

const text = (lines: string[]) => lines.join('\n') + '\n';

/** The fixture with line `n` (1-based) replaced. */
function replaceLine(n: number, line: string): string {
  const lines = [...FIXTURE];
  expect(lines[n - 1]).toBeDefined();
  lines[n - 1] = line;
  return text(lines);
}

/** The fixture with `added` inserted after line `n`. */
function insertAfter(n: number, ...added: string[]): string {
  const lines = [...FIXTURE];
  lines.splice(n, 0, ...added);
  return text(lines);
}

function deleteLine(n: number): string {
  const lines = [...FIXTURE];
  lines.splice(n - 1, 1);
  return text(lines);
}

function loadError(yamlText: string): CatalogLoadError {
  try {
    parseCatalog(yamlText, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogLoadError);
    return err as CatalogLoadError;
  }
  throw new Error('expected the catalog to be rejected');
}

describe('shipped catalog', () => {
  const catalog = loadCatalog(DEFAULT_CATALOG_FILE);

  it('lives at packages/server/catalog/accord-catalog.yaml', () => {
    expect(DEFAULT_CATALOG_FILE.replace(/\\/g, '/')).toMatch(
      /\/packages\/server\/catalog\/accord-catalog\.yaml$/,
    );
    expect(existsSync(DEFAULT_CATALOG_FILE)).toBe(true);
  });

  it('has the expected header', () => {
    expect(catalog.catalog).toMatchObject({
      id: 'accord-aa22-131a',
      version: '1.3.0',
      published: '2026-11-26',
    });
    expect(catalog.catalog.source).toContain('AA22-131A');
  });

  it("has the advisory's twelve groups, in the advisory's order", () => {
    expect(catalog.groups.map((g) => g.id)).toEqual([
      'PIC',
      'LOG',
      'MFA',
      'NET',
      'PRV',
      'OBS',
      'UPD',
      'BCK',
      'IRP',
      'SCR',
      'TRN',
      'AUT',
    ]);
  });

  it('has all 60 draft controls, numbered in sequence within each group', () => {
    expect(catalog.controls.length).toBeGreaterThanOrEqual(40);
    expect(catalog.controls).toHaveLength(60);
    const perGroup: Record<string, string[]> = {};
    for (const c of catalog.controls) (perGroup[c.group] ??= []).push(c.id);
    expect(Object.fromEntries(Object.entries(perGroup).map(([g, ids]) => [g, ids.length]))).toEqual({
      PIC: 6,
      LOG: 9,
      MFA: 5,
      NET: 5,
      PRV: 4,
      OBS: 5,
      UPD: 5,
      BCK: 4,
      IRP: 5,
      SCR: 4,
      TRN: 4,
      AUT: 4,
    });
    for (const [group, ids] of Object.entries(perGroup)) {
      expect(ids).toEqual(ids.map((_, i) => `${group}-${String(i + 1).padStart(2, '0')}`));
    }
  });

  it('maps every control to at least one framework, with well-formed ids', () => {
    for (const c of catalog.controls) {
      const m = c.mappings;
      const total = m.nist_csf_2.length + m.cis_v8.length + m.essential_eight.length + m.cisa_cpg_2.length;
      expect(total, c.id).toBeGreaterThan(0);
      for (const id of m.nist_csf_2) expect(id, c.id).toMatch(/^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-\d{2}$/);
      for (const id of m.cis_v8) expect(id, c.id).toMatch(/^\d{1,2}\.\d{1,2}$/);
      for (const id of m.cisa_cpg_2) expect(id, c.id).toMatch(/^[1-6]\.[A-Z]$/);
      for (const id of m.essential_eight) {
        expect(id, c.id).toMatch(
          /^(ISM-\d{4} \(ML[1-3]\)|Patch applications|Patch operating systems|Regular backups)$/,
        );
      }
    }
  });

  it('keeps CIS safeguard 8.10 as a string, not the number 8.1', () => {
    const log01 = catalog.controls.find((c) => c.id === 'LOG-01');
    expect(log01?.mappings.cis_v8).toContain('8.10');
  });

  it("sets the LOG-01 retention floor at the advisory's 180 days", () => {
    const log01 = catalog.controls.find((c) => c.id === 'LOG-01');
    const retention = log01?.parameters.find((p) => p.name === 'log_retention_days');
    expect(retention).toMatchObject({ type: 'integer', unit: 'days', default: 180, floor: 180 });
    expect(log01?.targets).toContainEqual(expect.objectContaining({ op: '>=', param: 'log_retention_days' }));
  });

  it('requires MFA on every MSP account and caps incident notification at 72 hours', () => {
    const mfa01 = catalog.controls.find((c) => c.id === 'MFA-01');
    expect(mfa01?.parameters.find((p) => p.name === 'msp_mfa_coverage')).toMatchObject({
      default: 1,
      floor: 1,
    });
    const log09 = catalog.controls.find((c) => c.id === 'LOG-09');
    expect(log09?.parameters.find((p) => p.name === 'incident_notification_hours')).toMatchObject({
      default: 24,
      ceiling: 72,
    });
  });

  it('has parameter defaults that pass their own floor and ceiling', () => {
    for (const c of catalog.controls) {
      for (const p of c.parameters)
        expect(checkParameterValue(p, p.default), `${c.id} ${p.name}`).toEqual({ ok: true });
    }
  });

  it('gives every control a positive notification SLA, at most three days', () => {
    for (const c of catalog.controls) {
      expect(c.notification_sla_hours, c.id).toBeGreaterThan(0);
      expect(c.notification_sla_hours, c.id).toBeLessThanOrEqual(72);
    }
  });
});

describe('parseCatalog', () => {
  it('accepts the fixture and applies schema defaults', () => {
    const catalog = parseCatalog(text(FIXTURE), 'test.yaml');
    expect(catalog.controls.map((c) => c.id)).toEqual(['LOG-01', 'MFA-01']);
    expect(catalog.controls[1]?.mappings).toEqual({
      nist_csf_2: [],
      cis_v8: [],
      essential_eight: [],
      cisa_cpg_2: ['3.F'],
    });
  });

  it('reports a YAML syntax error on its line', () => {
    const err = loadError(replaceLine(18, '    objective: Keep logs: long enough.'));
    expect(err.line).toBe(18);
    expect(err.file).toBe('test.yaml');
    expect(err.reason).toMatch(/^YAML syntax error: /);
    expect(err.message).toMatch(/^test\.yaml:18:\d+: YAML syntax error: /);
  });

  it('reports tab indentation on its line', () => {
    const err = loadError(replaceLine(34, '\t  mode: automatic'));
    expect(err.line).toBe(34);
    expect(err.reason).toMatch(/tab/i);
  });

  it('reports a duplicate YAML key on the second occurrence', () => {
    const err = loadError(insertAfter(38, '    cadence: weekly'));
    expect(err.line).toBe(39);
    expect(err.reason).toMatch(/unique/);
  });

  it('reports a bad enum value on its line and column, with the path', () => {
    const err = loadError(replaceLine(37, '    cadence: sometimes'));
    expect(err.line).toBe(37);
    expect(err.column).toBe(5);
    expect(err.path).toBe('controls[0].cadence');
    expect(err.reason).toMatch(/Invalid enum value/);
    expect(err.message).toMatch(/^test\.yaml:37:5: controls\[0\]\.cadence: Invalid enum value/);
  });

  it('reports a bad enum inside a nested block', () => {
    const err = loadError(replaceLine(60, '      mode: magic'));
    expect(err.line).toBe(60);
    expect(err.path).toBe('controls[1].verification.mode');
  });

  it('reports an unquoted CIS id (read as a number) at the list item', () => {
    const err = loadError(replaceLine(41, '      cis_v8: [8.10]'));
    expect(err.line).toBe(41);
    expect(err.column).toBe(16);
    expect(err.path).toBe('controls[0].mappings.cis_v8[0]');
  });

  it('reports an unknown key at the key', () => {
    const err = loadError(insertAfter(38, '    colour: blue'));
    expect(err.line).toBe(39);
    expect(err.path).toBe('controls[0].colour');
    expect(err.reason).toMatch(/Unrecognized key/);
  });

  it('reports a missing field at the nearest existing parent', () => {
    const err = loadError(deleteLine(19)); // default_owner of LOG-01
    expect(err.line).toBe(15);
    expect(err.path).toBe('controls[0].default_owner');
    expect(err.reason).toBe('Required');
  });

  it('reports a target with both a value and a param at the target', () => {
    const err = loadError(insertAfter(32, '        value: 180'));
    expect(err.line).toBe(30);
    expect(err.path).toBe('controls[0].targets[0]');
    expect(err.reason).toMatch(/either a fixed value or a param/);
  });

  it('reports a duplicate control id on the second one', () => {
    const err = loadError(replaceLine(42, '  - id: LOG-01'));
    expect(err.line).toBe(42);
    expect(err.column).toBe(5);
    expect(err.path).toBe('controls[1].id');
    expect(err.reason).toMatch(/duplicate control id LOG-01/);
  });

  it('reports a duplicate group id', () => {
    const err = loadError(replaceLine(11, '  - id: LOG'));
    expect(err.line).toBe(11);
    expect(err.reason).toMatch(/duplicate group id LOG/);
  });

  it('reports a control whose group does not exist', () => {
    const err = loadError(replaceLine(43, '    group: NET'));
    expect(err.line).toBe(43);
    expect(err.reason).toMatch(/group NET, which is not in groups/);
  });

  it('reports a control whose id does not match its group', () => {
    const err = loadError(replaceLine(43, '    group: LOG'));
    expect(err.line).toBe(42);
    expect(err.reason).toMatch(/must start with LOG-/);
  });

  it('reports a group with no controls', () => {
    const err = loadError(
      insertAfter(13, '  - id: NET', '    title: Networks', '    description: Segregate.'),
    );
    expect(err.line).toBe(14);
    expect(err.path).toBe('groups[2].id');
    expect(err.reason).toBe('group NET has no controls');
  });

  it('reports a target naming a parameter the control does not have', () => {
    const err = loadError(replaceLine(58, '        param: msp_coverage'));
    expect(err.line).toBe(58);
    expect(err.column).toBe(9);
    expect(err.path).toBe('controls[1].targets[0].param');
    expect(err.reason).toMatch(/parameter msp_coverage, which control MFA-01 does not define/);
  });

  it('reports a parameter defined twice in one control', () => {
    const err = loadError(
      insertAfter(
        28,
        '      - name: log_retention_days',
        '        type: integer',
        '        description: Again.',
        '        default: 200',
      ),
    );
    expect(err.line).toBe(29);
    expect(err.reason).toMatch(/duplicate parameter log_retention_days/);
  });

  it('reports a default below the floor on the default line', () => {
    const err = loadError(replaceLine(27, '        default: 90'));
    expect(err.line).toBe(27);
    expect(err.path).toBe('controls[0].parameters[0].default');
    expect(err.reason).toBe('default log_retention_days 90 is below the floor of 180 days');
  });

  it('reports a default above the ceiling', () => {
    const err = loadError(replaceLine(28, '        ceiling: 90'));
    // floor was replaced by ceiling 90, so the default of 180 is now too high
    expect(err.line).toBe(27);
    expect(err.reason).toBe('default log_retention_days 180 is above the ceiling of 90 days');
  });

  it('reports a default of the wrong type', () => {
    const err = loadError(replaceLine(27, "        default: '180'"));
    expect(err.line).toBe(27);
    expect(err.reason).toMatch(/must be a whole number/);
  });

  it('reports a ratio default outside 0..1', () => {
    const err = loadError(replaceLine(53, '        default: 100'));
    expect(err.line).toBe(53);
    expect(err.reason).toMatch(/ratio between 0 and 1/);
  });

  it('reports a floor above the ceiling', () => {
    const err = loadError(insertAfter(28, '        ceiling: 90'));
    expect(err.line).toBe(28);
    expect(err.reason).toMatch(/floor 180 above its ceiling 90/);
  });

  it('reports a floor on a non-numeric parameter', () => {
    const err = loadError(
      insertAfter(
        54,
        '      - name: mfa_note',
        '        type: string',
        '        description: Note.',
        "        default: ''",
        '        floor: 1',
      ),
    );
    expect(err.line).toBe(59);
    expect(err.reason).toMatch(/only numeric parameters have a floor/);
  });

  it('reports an ordering target against a non-numeric value', () => {
    const err = loadError(replaceLine(32, "        value: 'long'"));
    expect(err.line).toBe(32);
    expect(err.reason).toMatch(/not a number/);
  });

  it('rejects an empty document at line 1', () => {
    const err = loadError('');
    expect(err.line).toBe(1);
    expect(err.column).toBe(1);
  });
});

describe('loadCatalog', () => {
  it('wraps a missing file in a CatalogLoadError', () => {
    expect(() => loadCatalog('/nonexistent/accord-catalog.yaml')).toThrow(CatalogLoadError);
  });
});

describe('catalog documentation', () => {
  it('lists every control of the shipped catalog in docs/catalog.md', async () => {
    const fs = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const doc = fs.readFileSync(
      fileURLToPath(new URL('../../../../../docs/catalog.md', import.meta.url)),
      'utf8',
    );
    const missing = loadCatalog(DEFAULT_CATALOG_FILE).controls.filter((c) => !doc.includes(`| ${c.id} |`));
    expect(missing.map((c) => c.id)).toEqual([]);
  });
});
