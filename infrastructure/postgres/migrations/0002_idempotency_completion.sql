-- Completes a claim inside the caller's transaction, or fails it: when the claim was lost (its
-- lock expired and another request took the key), no row matches and the whole transaction,
-- events included, must roll back. Raising here lets the event store queue this statement in
-- its pipelined commit instead of waiting for a row count while holding the log's lock.
CREATE FUNCTION complete_idempotency_record(
    p_scope text, p_key text, p_token uuid, p_status integer, p_body bytea
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE idempotency_records
       SET status = 'COMPLETED', response_status = p_status, response_body = p_body
     WHERE scope = p_scope AND idempotency_key = p_key
       AND claim_token = p_token AND status = 'IN_PROGRESS';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'idempotency claim lost' USING ERRCODE = 'LL409';
    END IF;
END
$$;
