-- Free text is never filtered on as a column (names are searched through lower(full_name), whose index
-- keeps statistics of its own): no planner statistics for it. The hub analyzes resident_records and
-- citizens as a bulk load grows them, and these columns were about a third of each ANALYZE
-- (resident_records of 100,000 rows: 590-730 ms in all, 200 ms for the six text columns alone).
ALTER TABLE "resident_records" ALTER COLUMN "full_name" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "resident_records" ALTER COLUMN "birth_place" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "resident_records" ALTER COLUMN "mother_name" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "resident_records" ALTER COLUMN "father_name" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "resident_records" ALTER COLUMN "address" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "resident_records" ALTER COLUMN "dusun" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "resident_records" ALTER COLUMN "content_hash" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "citizens" ALTER COLUMN "full_name" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "citizens" ALTER COLUMN "birth_place" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "citizens" ALTER COLUMN "mother_name" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "citizens" ALTER COLUMN "address" SET STATISTICS 0;
