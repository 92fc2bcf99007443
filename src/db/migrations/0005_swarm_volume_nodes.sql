CREATE TABLE `swarm_volume_nodes` (
	`volume` text PRIMARY KEY NOT NULL,
	`node_id` text NOT NULL,
	`node_name` text NOT NULL,
	`created_at` integer NOT NULL
);
