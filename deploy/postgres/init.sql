-- One database per service: each service owns its data (ARCHITECTURE.md rule 1).
CREATE DATABASE pasar_gateway;
CREATE DATABASE pasar_catalog;
CREATE DATABASE pasar_orders;
CREATE DATABASE pasar_payments;
CREATE DATABASE pasar_notifications;
