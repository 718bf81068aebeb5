-- 0001: tables of the Supabase side: tenants, the credit ledger mirror and the run archive.
-- Re-runnable and convergent: every column is added with `add column if not exists`, so running
-- `npm run migrate` again repairs a table that lost a column. Names are unqualified: the migrate
-- script sets the search_path (default `public`).

create table if not exists schema_migrations (version integer primary key);
alter table schema_migrations
  add column if not exists name text not null default '',
  add column if not exists applied_at timestamptz not null default now();

create table if not exists tenants (id text primary key);
alter table tenants
  add column if not exists name text not null default '',
  add column if not exists created_at timestamptz not null default now();

-- One row per tenant. Invariant: available + reserved + spent_total changes only by top-ups.
create table if not exists credit_balances (tenant_id text primary key references tenants (id) on delete cascade);
alter table credit_balances
  add column if not exists available_credits bigint not null default 0 check (available_credits >= 0),
  add column if not exists reserved_credits bigint not null default 0 check (reserved_credits >= 0),
  add column if not exists spent_total bigint not null default 0 check (spent_total >= 0),
  add column if not exists updated_at timestamptz not null default now();

-- What is left of each run's reservation; the sum of `reserved` is the tenant's reserved_credits.
create table if not exists credit_reservations (
  tenant_id text not null references tenants (id) on delete cascade,
  run_id text not null,
  primary key (tenant_id, run_id)
);
alter table credit_reservations
  add column if not exists reserved bigint not null default 0 check (reserved >= 0),
  add column if not exists spent bigint not null default 0 check (spent >= 0),
  add column if not exists released bigint not null default 0 check (released >= 0),
  add column if not exists updated_at timestamptz not null default now();

-- Append-only. `idem_key` makes every movement idempotent; `balance_after` is `available` after it.
create table if not exists credit_ledger (
  id bigint generated always as identity primary key,
  tenant_id text not null references tenants (id) on delete cascade
);
alter table credit_ledger
  add column if not exists run_id text,
  add column if not exists kind text not null check (kind in ('reserve', 'charge', 'release', 'topup')),
  add column if not exists amount bigint not null check (amount >= 0),
  add column if not exists balance_after bigint not null check (balance_after >= 0),
  add column if not exists idem_key text not null,
  add column if not exists reason text,
  add column if not exists created_at timestamptz not null default now();

create unique index if not exists credit_ledger_tenant_idem_key on credit_ledger (tenant_id, idem_key);
create index if not exists credit_ledger_tenant_page on credit_ledger (tenant_id, id desc);
create index if not exists credit_ledger_tenant_run on credit_ledger (tenant_id, run_id) where run_id is not null;

-- Archive of runs in a final state. `data` keeps the full run document (plan, steps, approvals).
create table if not exists runs (id text primary key);
alter table runs
  add column if not exists tenant_id text not null,
  add column if not exists agent text not null,
  add column if not exists status text not null,
  add column if not exists priority text not null default 'normal',
  add column if not exists input jsonb,
  add column if not exists output jsonb,
  add column if not exists error jsonb,
  add column if not exists usage jsonb,
  add column if not exists credits_spent bigint not null default 0,
  add column if not exists created_at timestamptz not null default now(),
  add column if not exists finished_at timestamptz,
  add column if not exists data jsonb;

create index if not exists runs_tenant_created on runs (tenant_id, created_at desc);

-- Only the service role reaches these tables: row level security with no policies keeps the anon
-- and authenticated roles of a Supabase project out (the service role bypasses RLS).
alter table schema_migrations enable row level security;
alter table tenants enable row level security;
alter table credit_balances enable row level security;
alter table credit_reservations enable row level security;
alter table credit_ledger enable row level security;
alter table runs enable row level security;

insert into schema_migrations (version, name) values (1, 'init') on conflict (version) do nothing;
