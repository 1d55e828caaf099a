-- 0022: a linked server's offer of a home session holds a lease while its card is posted, so a process killed between the claim and the post loses nothing: once the lease has run out, another claimer posts the card, once.

ALTER TABLE officehours_offers ADD COLUMN claimed_by TEXT;
ALTER TABLE officehours_offers ADD COLUMN lease_until TEXT;
