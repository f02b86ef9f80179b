-- Records a completed Idempotency-Key inside the transaction that records the command's events,
-- for a request that claimed nothing beforehand (a route whose command records its response
-- with its events: interfaces/http/edge/admission.py `claimed_with_events`). The insert takes
-- the key only when no live record holds it: a fresh key, an expired record, or a claim whose
-- holder died before completing (its lock passed; it never committed). Otherwise the key was
-- recorded (or is held) by another request, and the whole transaction, events included, must
-- roll back: the caller then answers from that record. Raising lets the event store queue this
-- statement in its pipelined commit, as complete_idempotency_record does.
CREATE FUNCTION record_idempotent_response(
    p_scope text, p_key text, p_fingerprint text, p_status integer, p_body bytea,
    p_ttl_s integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO idempotency_records AS r (scope, idempotency_key, fingerprint, status,
        claim_token, response_status, response_body, locked_until, expires_at)
    VALUES (p_scope, p_key, p_fingerprint, 'COMPLETED', gen_random_uuid(), p_status, p_body,
        now(), now() + make_interval(secs => p_ttl_s))
    ON CONFLICT (scope, idempotency_key) DO UPDATE SET
        fingerprint = EXCLUDED.fingerprint, status = 'COMPLETED',
        claim_token = EXCLUDED.claim_token, response_status = EXCLUDED.response_status,
        response_body = EXCLUDED.response_body, locked_until = EXCLUDED.locked_until,
        expires_at = EXCLUDED.expires_at, created_at = now()
    WHERE r.expires_at < now() OR (r.status = 'IN_PROGRESS' AND r.locked_until < now()
        AND r.fingerprint = EXCLUDED.fingerprint);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'idempotency key already recorded' USING ERRCODE = 'LL410';
    END IF;
END
$$;
