CREATE TABLE "identity_parameter_sets" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "identity_parameter_sets_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	"reason" text,
	"records" integer NOT NULL,
	"learned" boolean NOT NULL,
	"fields" jsonb NOT NULL,
	"summary" jsonb NOT NULL
);
