import type { ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { SessionProvider, useSession } from './session.tsx';
import { Layout } from './components/layout.tsx';
import { Loading, NotFound } from './components/ui.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { EnrolPage } from './pages/enrol.tsx';
import { PortfolioPage } from './pages/portfolio.tsx';
import { CustomerHomePage } from './pages/customer-home.tsx';
import { AgreementsPage } from './pages/agreements.tsx';
import { AgreementBuilderPage } from './pages/agreement-builder.tsx';
import { AgreementPage } from './pages/agreement.tsx';
import { ComparePage } from './pages/compare.tsx';
import { ControlPage } from './pages/control.tsx';
import { AlertsPage } from './pages/alerts.tsx';
import { AlertPage } from './pages/alert.tsx';
import { RulesPage } from './pages/rules.tsx';
import { LogsPage } from './pages/logs.tsx';
import { SourcesPage } from './pages/sources.tsx';
import { AuditPage } from './pages/audit.tsx';
import { SettingsPage } from './pages/settings.tsx';

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
          <Route path="/mfa/enrol" element={<EnrolPage />} />
          <Route
            element={
              <RequireAuth>
                <Layout />
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
