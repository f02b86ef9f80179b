-- Housekeeping deletes delivery attempts older than WEBHOOK_DELIVERY_RETENTION_DAYS, oldest first.
CREATE INDEX webhook_deliveries_attempted_idx ON webhook_deliveries (attempted_at);
