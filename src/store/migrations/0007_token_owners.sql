-- API tokens made by signed-in users belong to them: a token carries at most its owner's
-- permissions (checked on every use, so it shrinks with the owner's roles) and stops
-- working when the owner is disabled or removed. NULL: a server token made on the host
-- with `gatehouse token create`.
ALTER TABLE api_tokens ADD COLUMN user_id INTEGER REFERENCES users (id) ON DELETE CASCADE;
