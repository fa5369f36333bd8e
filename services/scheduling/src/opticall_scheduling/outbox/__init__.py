"""Transactional outbox: ``writer`` records changes in the caller's transaction, ``relay``
publishes committed ones to Kafka."""
