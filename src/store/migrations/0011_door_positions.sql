-- Where a door is on its site's plan, in whole metres from any origin the site chooses
-- (issue 8): the badge-cloning detector turns the distance between two doors into the
-- least time one needs to walk it. Both NULL when the door has not been placed.
ALTER TABLE doors ADD COLUMN x_m INTEGER;
ALTER TABLE doors ADD COLUMN y_m INTEGER;
