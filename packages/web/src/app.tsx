import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { SessionProvider, useSession } from './session.tsx';
import { Layout } from './components/layout.tsx';
import { Loading, NotFound } from './components/ui.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { PortfolioPage } from './pages/portfolio.tsx';

// The portfolio and sign-in are in the first download; every other screen loads when first opened.
const EnrolPage = lazy(() => import('./pages/enrol.tsx').then((m) => ({ default: m.EnrolPage })));
const CustomerHomePage = lazy(() =>
  import('./pages/customer-home.tsx').then((m) => ({ default: m.CustomerHomePage })),
);
const AgreementsPage = lazy(() =>
  import('./pages/agreements.tsx').then((m) => ({ default: m.AgreementsPage })),
);
const AgreementBuilderPage = lazy(() =>
  import('./pages/agreement-builder.tsx').then((m) => ({ default: m.AgreementBuilderPage })),
);
const AgreementPage = lazy(() => import('./pages/agreement.tsx').then((m) => ({ default: m.AgreementPage })));
const ComparePage = lazy(() => import('./pages/compare.tsx').then((m) => ({ default: m.ComparePage })));
const ControlPage = lazy(() => import('./pages/control.tsx').then((m) => ({ default: m.ControlPage })));
const AlertsPage = lazy(() => import('./pages/alerts.tsx').then((m) => ({ default: m.AlertsPage })));
const AlertPage = lazy(() => import('./pages/alert.tsx').then((m) => ({ default: m.AlertPage })));
const RulesPage = lazy(() => import('./pages/rules.tsx').then((m) => ({ default: m.RulesPage })));
const LogsPage = lazy(() => import('./pages/logs.tsx').then((m) => ({ default: m.LogsPage })));
const SourcesPage = lazy(() => import('./pages/sources.tsx').then((m) => ({ default: m.SourcesPage })));
const AuditPage = lazy(() => import('./pages/audit.tsx').then((m) => ({ default: m.AuditPage })));
const SettingsPage = lazy(() => import('./pages/settings.tsx').then((m) => ({ default: m.SettingsPage })));

/** Signed in with a membership, or off to sign-in (with the path to come back to). */
function RequireAuth({ children }: { children: ReactNode }) {
  const { session, membership } = useSession();
  const loc = useLocation();
  if (session === undefined) return <Loading what="your session" />;
  const next = encodeURIComponent(loc.pathname + loc.search);
  if (session === null || session.status === 'mfa_required')
    return <Navigate to={`/sign-in?next=${next}`} replace />;
  if (session.status === 'mfa_enrollment_required')
    return <Navigate to={`/mfa/enrol?next=${next}`} replace />;
  if (!membership) return <NoMembership />;
  return <>{children}</>;
}

function NoMembership() {
  const { signOut } = useSession();
  return (
    <main id="main" className="centered">
      <h1>No organisation</h1>
      <p>You have no current membership in an organisation. Ask an administrator to add you.</p>
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
    </main>
  );
}

function Home() {
  const { membership } = useSession();
  if (!membership) return null;
  return (
    <Navigate to={membership.orgKind === 'msp' ? '/portfolio' : `/orgs/${membership.orgId}/home`} replace />
  );
}

export function App() {
  return (
    <BrowserRouter>
      <SessionProvider>
        <Routes>
          <Route path="/sign-in" element={<SignInPage />} />
          <Route
            path="/mfa/enrol"
            element={
              <Suspense fallback={<Loading what="the page" />}>
                <EnrolPage />
              </Suspense>
            }
          />
          <Route
            element={
              <RequireAuth>
                <Suspense fallback={<Loading what="the page" />}>
                  <Layout />
                </Suspense>
              </RequireAuth>
            }
          >
            <Route index element={<Home />} />
            <Route path="portfolio" element={<PortfolioPage />} />
            <Route path="agreements" element={<AgreementsPage />} />
            <Route path="agreements/new" element={<AgreementBuilderPage />} />
            <Route path="agreements/:id" element={<AgreementPage />} />
            <Route path="agreements/:id/edit" element={<AgreementBuilderPage />} />
            <Route path="agreements/:id/compare" element={<ComparePage />} />
            <Route path="agreements/:id/controls/:controlId" element={<ControlPage />} />
            <Route path="orgs/:orgId/home" element={<CustomerHomePage />} />
            <Route path="orgs/:orgId/alerts" element={<AlertsPage />} />
            <Route path="orgs/:orgId/alerts/:alertId" element={<AlertPage />} />
            <Route path="orgs/:orgId/rules" element={<RulesPage />} />
            <Route path="orgs/:orgId/logs" element={<LogsPage />} />
            <Route path="orgs/:orgId/sources" element={<SourcesPage />} />
            <Route path="orgs/:orgId/audit" element={<AuditPage />} />
            <Route path="orgs/:orgId/settings" element={<SettingsPage />} />
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </SessionProvider>
    </BrowserRouter>
  );
}
