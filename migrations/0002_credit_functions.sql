-- 0002: the CreditLedger port as Postgres functions, called over RPC. Each one runs in a single
-- transaction, locks the tenant's balance row first (so movements of a tenant are serialized and
-- `available` never goes below zero) and is idempotent by its key (unique per tenant).
-- `set search_path from current` pins each function to the schema the migration ran in.

-- Balance as the port's JSON: { available, reserved, spent_total }.
create or replace function ledger_balance_json(b credit_balances)
returns jsonb
language sql
stable
set search_path from current
as $$
  select jsonb_build_object(
    'available', coalesce(b.available_credits, 0),
    'reserved', coalesce(b.reserved_credits, 0),
    'spent_total', coalesce(b.spent_total, 0)
  )
$$;

-- Rejects a missing tenant, run or key and a non-positive amount (SQLSTATE 22023, HTTP 400).
create or replace function ledger_check(p_tenant_id text, p_run_id text, p_amount bigint, p_key text)
returns void
language plpgsql
immutable
set search_path from current
as $$
begin
  if p_tenant_id is null or p_tenant_id = '' then
    raise exception 'tenant id is required' using errcode = '22023';
  end if;
  if p_run_id is not null and p_run_id = '' then
    raise exception 'run id must not be empty' using errcode = '22023';
  end if;
  if p_amount is not null and p_amount <= 0 then
    raise exception 'amount must be a positive integer, got %', p_amount using errcode = '22023';
  end if;
  if p_key is not null and p_key = '' then
    raise exception 'idempotency key must not be empty' using errcode = '22023';
  end if;
end
$$;

-- Creates the tenant's rows on first use and returns its balance row, locked until commit.
create or replace function ledger_lock_balance(p_tenant_id text)
returns credit_balances
language plpgsql
set search_path from current
as $$
declare
  b credit_balances;
begin
  select * into b from credit_balances where tenant_id = p_tenant_id for update;
  if found then
    return b;
  end if;
  insert into tenants (id) values (p_tenant_id) on conflict (id) do nothing;
  insert into credit_balances (tenant_id) values (p_tenant_id) on conflict (tenant_id) do nothing;
  select * into strict b from credit_balances where tenant_id = p_tenant_id for update;
  return b;
end
$$;

-- Moves p_amount from available to the run's reservation. { ok, balance }; ok false changes nothing.
create or replace function ledger_reserve(p_tenant_id text, p_run_id text, p_amount bigint, p_key text)
returns jsonb
language plpgsql
set search_path from current
as $$
declare
  b credit_balances;
  entry_id bigint;
begin
  perform ledger_check(p_tenant_id, coalesce(p_run_id, ''), coalesce(p_amount, 0), coalesce(p_key, ''));
  b := ledger_lock_balance(p_tenant_id);
  -- A key already applied answers as the first call did (under the lock this check is exact).
  if exists (select 1 from credit_ledger l where l.tenant_id = p_tenant_id and l.idem_key = p_key) then
    return jsonb_build_object('ok', true, 'balance', ledger_balance_json(b));
  end if;
  if b.available_credits < p_amount then
    return jsonb_build_object('ok', false, 'balance', ledger_balance_json(b));
  end if;
  insert into credit_ledger (tenant_id, run_id, kind, amount, balance_after, idem_key)
  values (p_tenant_id, p_run_id, 'reserve', p_amount, b.available_credits - p_amount, p_key)
  on conflict (tenant_id, idem_key) do nothing
  returning id into entry_id;
  if entry_id is not null then
    update credit_balances
    set available_credits = available_credits - p_amount,
        reserved_credits = reserved_credits + p_amount,
        updated_at = now()
    where tenant_id = p_tenant_id
    returning * into b;
    insert into credit_reservations (tenant_id, run_id, reserved)
    values (p_tenant_id, p_run_id, p_amount)
    on conflict (tenant_id, run_id)
    do update set reserved = credit_reservations.reserved + excluded.reserved, updated_at = now();
  end if;
  return jsonb_build_object('ok', true, 'balance', ledger_balance_json(b));
end
$$;

-- Applies each charge [{ key, amount }] from the run's reservation to spent, in order. A key
-- already applied is skipped; a charge larger than what is left takes only what is left.
create or replace function ledger_charge(p_tenant_id text, p_run_id text, p_charges jsonb)
returns jsonb
language plpgsql
set search_path from current
as $$
declare
  b credit_balances;
  left_over bigint;
  item jsonb;
  item_key text;
  item_amount numeric;
  take bigint;
  entry_id bigint;
begin
  perform ledger_check(p_tenant_id, coalesce(p_run_id, ''), null, null);
  if jsonb_typeof(p_charges) is distinct from 'array' then
    raise exception 'charges must be an array of { key, amount }' using errcode = '22023';
  end if;
  b := ledger_lock_balance(p_tenant_id);
  select r.reserved into left_over
  from credit_reservations r
  where r.tenant_id = p_tenant_id and r.run_id = p_run_id
  for update;
  left_over := coalesce(left_over, 0);
  for item in select value from jsonb_array_elements(p_charges) loop
    if jsonb_typeof(item -> 'key') is distinct from 'string' or item ->> 'key' = ''
       or jsonb_typeof(item -> 'amount') is distinct from 'number' then
      raise exception 'each charge must be { key: non-empty string, amount: integer >= 0 }' using errcode = '22023';
    end if;
    item_key := item ->> 'key';
    item_amount := (item ->> 'amount')::numeric;
    if item_amount < 0 or item_amount <> trunc(item_amount) then
      raise exception 'charge % has an invalid amount %', item_key, item_amount using errcode = '22023';
    end if;
    take := least(item_amount, left_over)::bigint;
    entry_id := null;
    insert into credit_ledger (tenant_id, run_id, kind, amount, balance_after, idem_key)
    values (p_tenant_id, p_run_id, 'charge', take, b.available_credits, item_key)
    on conflict (tenant_id, idem_key) do nothing
    returning id into entry_id;
    if entry_id is not null and take > 0 then
      left_over := left_over - take;
      update credit_balances
      set reserved_credits = reserved_credits - take,
          spent_total = spent_total + take,
          updated_at = now()
      where tenant_id = p_tenant_id
      returning * into b;
      update credit_reservations
      set reserved = reserved - take, spent = spent + take, updated_at = now()
      where tenant_id = p_tenant_id and run_id = p_run_id;
    end if;
  end loop;
  return ledger_balance_json(b);
end
$$;

-- Returns what is left of the run's reservation to available.
create or replace function ledger_release(p_tenant_id text, p_run_id text, p_key text)
returns jsonb
language plpgsql
set search_path from current
as $$
declare
  b credit_balances;
  left_over bigint;
  entry_id bigint;
begin
  perform ledger_check(p_tenant_id, coalesce(p_run_id, ''), null, coalesce(p_key, ''));
  b := ledger_lock_balance(p_tenant_id);
  if exists (select 1 from credit_ledger l where l.tenant_id = p_tenant_id and l.idem_key = p_key) then
    return ledger_balance_json(b);
  end if;
  select r.reserved into left_over
  from credit_reservations r
  where r.tenant_id = p_tenant_id and r.run_id = p_run_id
  for update;
  left_over := coalesce(left_over, 0);
  insert into credit_ledger (tenant_id, run_id, kind, amount, balance_after, idem_key)
  values (p_tenant_id, p_run_id, 'release', left_over, b.available_credits + left_over, p_key)
  on conflict (tenant_id, idem_key) do nothing
  returning id into entry_id;
  if entry_id is not null and left_over > 0 then
    update credit_balances
    set available_credits = available_credits + left_over,
        reserved_credits = reserved_credits - left_over,
        updated_at = now()
    where tenant_id = p_tenant_id
    returning * into b;
    update credit_reservations
    set reserved = 0, released = released + left_over, updated_at = now()
    where tenant_id = p_tenant_id and run_id = p_run_id;
  end if;
  return ledger_balance_json(b);
end
$$;

-- Adds p_amount to available.
create or replace function ledger_top_up(p_tenant_id text, p_amount bigint, p_key text, p_reason text default null)
returns jsonb
language plpgsql
set search_path from current
as $$
declare
  b credit_balances;
  entry_id bigint;
begin
  perform ledger_check(p_tenant_id, null, coalesce(p_amount, 0), coalesce(p_key, ''));
  b := ledger_lock_balance(p_tenant_id);
  insert into credit_ledger (tenant_id, run_id, kind, amount, balance_after, idem_key, reason)
  values (p_tenant_id, null, 'topup', p_amount, b.available_credits + p_amount, p_key, p_reason)
  on conflict (tenant_id, idem_key) do nothing
  returning id into entry_id;
  if entry_id is not null then
    update credit_balances
    set available_credits = available_credits + p_amount, updated_at = now()
    where tenant_id = p_tenant_id
    returning * into b;
  end if;
  return ledger_balance_json(b);
end
$$;

-- The tenant's balance; zeros for a tenant never seen. Read-only.
create or replace function ledger_balance(p_tenant_id text)
returns jsonb
language sql
stable
set search_path from current
as $$
  select ledger_balance_json(b)
  from (select 1) as one
  left join credit_balances b on b.tenant_id = p_tenant_id
$$;

-- One page of the tenant's ledger, newest first. The cursor is the id of the last entry seen.
create or replace function ledger_page(p_tenant_id text, p_limit integer, p_cursor text default null)
returns table (id text, run_id text, kind text, amount bigint, balance_after bigint, created_at text)
language plpgsql
stable
set search_path from current
as $$
declare
  before_id bigint;
begin
  if p_limit is null or p_limit < 1 or p_limit > 1001 then
    raise exception 'limit must be between 1 and 1001, got %', p_limit using errcode = '22023';
  end if;
  if p_cursor is not null then
    if p_cursor !~ '^[0-9]{1,18}$' then
      raise exception 'invalid ledger cursor' using errcode = '22023';
    end if;
    before_id := p_cursor::bigint;
  end if;
  return query
    select l.id::text, l.run_id, l.kind, l.amount, l.balance_after,
           to_char(l.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    from credit_ledger l
    where l.tenant_id = p_tenant_id and (before_id is null or l.id < before_id)
    order by l.id desc
    limit p_limit;
end
$$;

-- Only the service role may call these (Supabase grants new functions to anon and authenticated).
do $$
declare
  fn text;
  role_name text;
begin
  foreach fn in array array[
    'ledger_balance_json(credit_balances)',
    'ledger_check(text, text, bigint, text)',
    'ledger_lock_balance(text)',
    'ledger_reserve(text, text, bigint, text)',
    'ledger_charge(text, text, jsonb)',
    'ledger_release(text, text, text)',
    'ledger_top_up(text, bigint, text, text)',
    'ledger_balance(text)',
    'ledger_page(text, integer, text)'
  ] loop
    execute format('revoke all on function %s from public', fn);
    foreach role_name in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = role_name) then
        execute format('revoke all on function %s from %I', fn, role_name);
      end if;
    end loop;
    if exists (select 1 from pg_roles where rolname = 'service_role') then
      execute format('grant execute on function %s to service_role', fn);
    end if;
  end loop;
end
$$;

insert into schema_migrations (version, name) values (2, 'credit_functions') on conflict (version) do nothing;
