CREATE TABLE `usage` (
	`user_name` text NOT NULL,
	`server_name` text DEFAULT '' NOT NULL,
	`day` text NOT NULL,
	`server_seconds` real DEFAULT 0 NOT NULL,
	`cpu_seconds` real DEFAULT 0 NOT NULL,
	`peak_memory_bytes` integer DEFAULT 0 NOT NULL,
	`container_id` text,
	`cpu_ns` real,
	`accounted_until` integer,
	PRIMARY KEY(`user_name`, `server_name`, `day`)
);
--> statement-breakpoint
CREATE INDEX `usage_day` ON `usage` (`day`);