-- Continuous verification over a whole portfolio.
-- NET-04 asks, for each customer, which of the MSP accounts seen there also sign in at the MSP's
-- other customers: without this index each evaluation reads every MSP sign-in of every customer of
-- the MSP (quadratic in the portfolio); with it, only the rows of the accounts in question.
create index events_msp_account_time on events (lower(username), time) where is_msp;
