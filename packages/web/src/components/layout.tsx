import { Suspense, useState } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router-dom';
import { useSession } from '../session.tsx';
import { Loading } from './ui.tsx';

const ROLE_LABEL: Record<string, string> = {
  msp_admin: 'MSP admin',
  msp_engineer: 'MSP engineer',
  customer_admin: 'Customer admin',
  customer_member: 'Customer member',
  auditor: 'Auditor',
};

/** The navigation of the active organisation: only screens whose API exists and the role may use. */
export function navItems(orgId: string, kind: 'msp' | 'customer', can: (p: never) => boolean) {
  const c = can as (p: string) => boolean;
  const o = `/orgs/${orgId}`;
  return [
    kind === 'msp' ? { to: '/portfolio', label: 'Portfolio' } : { to: `${o}/home`, label: 'Home' },
    { to: '/agreements', label: 'Agreements' },
    c('alerts:read') && { to: `${o}/alerts`, label: 'Alerts' },
    c('rules:manage') && { to: `${o}/rules`, label: 'Rules' },
    c('logs:read') && { to: `${o}/logs`, label: 'Logs' },
    c('logs:read') && { to: `${o}/sources`, label: 'Sources' },
    c('audit:read') && { to: `${o}/audit`, label: 'Audit trail' },
    c('users:read') && { to: `${o}/settings`, label: 'Settings' },
  ].filter(Boolean) as { to: string; label: string }[];
}

export function Layout() {
  const { session, membership, can, signOut, switchOrg } = useSession();
  const navigate = useNavigate();
  const [menuOpen, setMenuOpen] = useState(false);
  const [switchError, setSwitchError] = useState<string | null>(null);
  if (!session || !membership) return null;
  const items = navItems(membership.orgId, membership.orgKind, can as never);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Accord, start page">
          <img src="/favicon.svg" alt="" width="24" height="24" /> Accord
        </Link>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <div className="org-switcher">
          <label htmlFor="org-switch" className="visually-hidden">
            Organisation
          </label>
          <select
            id="org-switch"
            value={membership.orgId}
            disabled={session.memberships.length < 2}
            onChange={(e) => {
              setSwitchError(null);
              switchOrg(e.target.value)
                .then(() => navigate('/'))
                .catch((err: Error) => setSwitchError(err.message));
            }}
          >
            {session.memberships.map((m) => (
              <option key={m.orgId} value={m.orgId}>
                {m.orgName} ({ROLE_LABEL[m.role] ?? m.role})
              </option>
            ))}
          </select>
          {switchError && (
            <span role="alert" className="field-error">
              {switchError}
            </span>
          )}
        </div>
        <div className="user">
          <span className="user-name" title={session.user.email}>
            {session.user.name}
          </span>
          <button
            type="button"
            className="link-button"
            onClick={() => void signOut().then(() => navigate('/sign-in'))}
          >
            Sign out
          </button>
        </div>
      </header>
      <nav id="primary-nav" aria-label="Main" className={menuOpen ? 'open' : ''}>
        <ul>
          {items.map((i) => (
            <li key={i.to}>
              <NavLink to={i.to} onClick={() => setMenuOpen(false)}>
                {i.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}

/** Tabs of a customer's pages, shown when an MSP looks into one of its customers. */
export function OrgTabs({ orgId, name }: { orgId: string; name?: string }) {
  const { membership, can } = useSession();
  if (!membership || membership.orgId === orgId) return null;
  const o = `/orgs/${orgId}`;
  const tabs = [
    { to: `${o}/home`, label: 'Overview' },
    can('alerts:read') && { to: `${o}/alerts`, label: 'Alerts' },
    can('rules:manage') && { to: `${o}/rules`, label: 'Rules' },
    can('logs:read') && { to: `${o}/logs`, label: 'Logs' },
    can('logs:read') && { to: `${o}/sources`, label: 'Sources' },
    can('audit:read') && { to: `${o}/audit`, label: 'Audit trail' },
  ].filter(Boolean) as { to: string; label: string }[];
  return (
    <nav className="org-tabs" aria-label={name ? `${name} pages` : 'Customer pages'}>
      {name && <span className="org-tabs-name">{name}</span>}
      <ul>
        {tabs.map((t) => (
          <li key={t.to}>
            <NavLink to={t.to}>{t.label}</NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
