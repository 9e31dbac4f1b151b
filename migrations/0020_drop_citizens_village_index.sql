-- No query looks citizens up by their village: a citizen's region is where their records come from
-- (citizen_records.village_code, the console's search), and the figures join citizens by id. The index
-- was only kept up, at every citizen the identify stage inserts and every golden record rewritten.
DROP INDEX "citizens_village_idx";
