CREATE TABLE `share_codes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`code_hash` text NOT NULL,
	`owner_id` integer NOT NULL,
	`server_name` text DEFAULT '' NOT NULL,
	`server_id` integer,
	`scopes` text DEFAULT '[]' NOT NULL,
	`created` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`expires_at` integer NOT NULL,
	`exchange_count` integer DEFAULT 0 NOT NULL,
	`last_exchanged_at` integer,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`server_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `share_codes_code_hash_unique` ON `share_codes` (`code_hash`);--> statement-breakpoint
CREATE TABLE `shares` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner_id` integer NOT NULL,
	`server_name` text DEFAULT '' NOT NULL,
	`server_id` integer,
	`user_id` integer,
	`group_id` integer,
	`scopes` text DEFAULT '[]' NOT NULL,
	`created` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`server_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `shares_server_user` ON `shares` (`owner_id`,`server_name`,`user_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `shares_server_group` ON `shares` (`owner_id`,`server_name`,`group_id`);--> statement-breakpoint
CREATE INDEX `shares_user` ON `shares` (`user_id`);--> statement-breakpoint
CREATE INDEX `shares_group` ON `shares` (`group_id`);