ALTER TABLE "screenings" DROP COLUMN "request";--> statement-breakpoint
ALTER TABLE "screenings" DROP COLUMN "response";