-- An employee has at most one login account, so no second account (for
-- example an administrator one) can hide behind the one the person page shows.
CREATE UNIQUE INDEX users_employee ON users(employee_id) WHERE employee_id IS NOT NULL;
