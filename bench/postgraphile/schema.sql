-- What PostGraphile needs to answer the dashboard with the same numbers as fiscus, written
-- into the bench database only (bench/portfolio_dashboard.py runs it as the owner): a view
-- of the holdings with their price and derived figures (window function for the weights,
-- so a portfolio's total is summed once, not once per holding), related to portfolios and
-- instruments by smart comments (instrument_id has no foreign key: instruments live in two
-- tables). ``security_invoker``: the app role's row-level security applies through it.
--
-- Same rules as fiscus: the newest close on or before today and the close before it, money
-- rounded to 4 places, weights to 10, an unpriced holding at cost. Global instruments in
-- the portfolio's currency only (the bench data): no FX, no manual instruments.

CREATE VIEW portfolio_holding_values WITH (security_invoker = true) AS
SELECT v.*,
       v.market_value - v.cost_basis AS unrealized_gain,
       CASE WHEN sum(v.market_value) OVER portfolio = 0 THEN 0
            ELSE round(v.market_value / sum(v.market_value) OVER portfolio, 10)
       END AS weight
FROM (
  SELECT h.org_id, h.portfolio_id, h.instrument_id, h.quantity, h.cost_basis,
         p.close AS price, p.previous AS previous_close,
         COALESCE(round(h.quantity * p.close, 4), h.cost_basis) AS market_value,
         round(h.quantity * (p.close - p.previous), 4) AS day_change
  FROM portfolio_holdings h
  LEFT JOIN LATERAL (
    SELECT d.close,
           (SELECT o.close FROM daily_prices o
            WHERE o.instrument_id = d.instrument_id AND o.day < d.day
            ORDER BY o.day DESC LIMIT 1) AS previous
    FROM daily_prices d
    WHERE d.instrument_id = h.instrument_id AND d.day <= current_date
    ORDER BY d.day DESC LIMIT 1) AS p ON true
) AS v
WINDOW portfolio AS (PARTITION BY v.org_id, v.portfolio_id);

COMMENT ON VIEW portfolio_holding_values IS E'@primaryKey org_id,portfolio_id,instrument_id\n@foreignKey (org_id, portfolio_id) references portfolios (org_id, id)\n@foreignKey (instrument_id) references instruments (id)';

GRANT SELECT ON portfolio_holding_values TO PUBLIC;
