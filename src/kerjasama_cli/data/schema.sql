-- ks schema 0005: what this release's migrations build; written by verify.write_schema_file, checked by the tests.

CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

CREATE TABLE entry (
	seq INTEGER NOT NULL, 
	recorded_at VARCHAR NOT NULL, 
	recorded_by VARCHAR NOT NULL, 
	action VARCHAR NOT NULL, 
	agreement_key VARCHAR, 
	payload VARCHAR NOT NULL, 
	prev_hash VARCHAR NOT NULL, 
	hash VARCHAR NOT NULL, db_user VARCHAR, 
	CONSTRAINT pk_entry PRIMARY KEY (seq), 
	CONSTRAINT uq_entry_hash UNIQUE (hash), 
	CONSTRAINT uq_entry_prev_hash UNIQUE (prev_hash)
);

CREATE TABLE agreement_party (
	agreement_id INTEGER NOT NULL, 
	party_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	number VARCHAR, 
	CONSTRAINT pk_agreement_party PRIMARY KEY (agreement_id, party_id), 
	CONSTRAINT fk_agreement_party_agreement_id_agreement FOREIGN KEY(agreement_id) REFERENCES agreement (id), 
	CONSTRAINT fk_agreement_party_party_id_party FOREIGN KEY(party_id) REFERENCES party (id)
);

CREATE TABLE handover (
	id INTEGER NOT NULL, 
	agreement_id INTEGER NOT NULL, 
	recipient_id INTEGER NOT NULL, 
	handed_on DATE NOT NULL, 
	place VARCHAR, 
	note VARCHAR, 
	entry_seq INTEGER NOT NULL, 
	CONSTRAINT pk_handover PRIMARY KEY (id), 
	CONSTRAINT fk_handover_agreement_id_agreement FOREIGN KEY(agreement_id) REFERENCES agreement (id), 
	CONSTRAINT fk_handover_entry_seq_entry FOREIGN KEY(entry_seq) REFERENCES entry (seq), 
	CONSTRAINT fk_handover_recipient_id_party FOREIGN KEY(recipient_id) REFERENCES party (id)
);

CREATE TABLE party_alias (
	alias_key VARCHAR NOT NULL, 
	alias VARCHAR NOT NULL, 
	party_id INTEGER NOT NULL, 
	entry_seq INTEGER NOT NULL, 
	CONSTRAINT pk_party_alias PRIMARY KEY (alias_key), 
	CONSTRAINT fk_party_alias_entry_seq_entry FOREIGN KEY(entry_seq) REFERENCES entry (seq), 
	CONSTRAINT fk_party_alias_party_id_party FOREIGN KEY(party_id) REFERENCES party (id)
);

CREATE TABLE void (
	id INTEGER NOT NULL, 
	target_seq INTEGER NOT NULL, 
	reason VARCHAR NOT NULL, 
	entry_seq INTEGER NOT NULL, 
	CONSTRAINT pk_void PRIMARY KEY (id), 
	CONSTRAINT fk_void_entry_seq_entry FOREIGN KEY(entry_seq) REFERENCES entry (seq), 
	CONSTRAINT fk_void_target_seq_entry FOREIGN KEY(target_seq) REFERENCES entry (seq), 
	CONSTRAINT uq_void_target_seq UNIQUE (target_seq)
);

CREATE TABLE "signature" (
	id INTEGER NOT NULL, 
	agreement_id INTEGER NOT NULL, 
	party_id INTEGER NOT NULL, 
	signed_on DATE NOT NULL, 
	place VARCHAR, 
	signatory VARCHAR, 
	title VARCHAR, 
	number VARCHAR, 
	entry_seq INTEGER NOT NULL, 
	CONSTRAINT pk_signature PRIMARY KEY (id), 
	CONSTRAINT fk_signature_entry_seq_entry FOREIGN KEY(entry_seq) REFERENCES entry (seq), 
	CONSTRAINT fk_signature_agreement_id_party_id_agreement_party FOREIGN KEY(agreement_id, party_id) REFERENCES agreement_party (agreement_id, party_id)
);

CREATE TABLE "agreement" (
	id INTEGER NOT NULL, 
	"key" VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	year INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	title VARCHAR NOT NULL, 
	parent_id INTEGER, 
	agreed_on DATE NOT NULL, 
	place VARCHAR, 
	start_on DATE, 
	end_on DATE, 
	entry_seq INTEGER NOT NULL, 
	term_years INTEGER, 
	renews_id INTEGER, 
	CONSTRAINT pk_agreement PRIMARY KEY (id), 
	CONSTRAINT fk_agreement_parent_id_agreement FOREIGN KEY(parent_id) REFERENCES agreement (id), 
	CONSTRAINT uq_agreement_kind_year_seq UNIQUE (kind, year, seq), 
	CONSTRAINT uq_agreement_key UNIQUE ("key"), 
	CONSTRAINT fk_agreement_entry_seq_entry FOREIGN KEY(entry_seq) REFERENCES entry (seq), 
	CONSTRAINT fk_agreement_renews_id_agreement FOREIGN KEY(renews_id) REFERENCES agreement (id)
);

CREATE TABLE termination (
	id INTEGER NOT NULL, 
	agreement_id INTEGER NOT NULL, 
	terminated_on DATE NOT NULL, 
	reason VARCHAR NOT NULL, 
	entry_seq INTEGER NOT NULL, 
	CONSTRAINT pk_termination PRIMARY KEY (id), 
	CONSTRAINT fk_termination_agreement_id_agreement FOREIGN KEY(agreement_id) REFERENCES agreement (id), 
	CONSTRAINT fk_termination_entry_seq_entry FOREIGN KEY(entry_seq) REFERENCES entry (seq)
);

CREATE TABLE activity (
	id INTEGER NOT NULL, 
	agreement_id INTEGER NOT NULL, 
	party_id INTEGER, 
	held_on DATE NOT NULL, 
	description VARCHAR NOT NULL, 
	entry_seq INTEGER NOT NULL, 
	CONSTRAINT pk_activity PRIMARY KEY (id), 
	CONSTRAINT fk_activity_agreement_id_agreement FOREIGN KEY(agreement_id) REFERENCES agreement (id), 
	CONSTRAINT fk_activity_entry_seq_entry FOREIGN KEY(entry_seq) REFERENCES entry (seq), 
	CONSTRAINT fk_activity_party_id_party FOREIGN KEY(party_id) REFERENCES party (id)
);

CREATE TABLE evaluation (
	id INTEGER NOT NULL, 
	agreement_id INTEGER NOT NULL, 
	evaluated_on DATE NOT NULL, 
	finding VARCHAR NOT NULL, 
	recommendation VARCHAR NOT NULL, 
	entry_seq INTEGER NOT NULL, 
	CONSTRAINT pk_evaluation PRIMARY KEY (id), 
	CONSTRAINT fk_evaluation_agreement_id_agreement FOREIGN KEY(agreement_id) REFERENCES agreement (id), 
	CONSTRAINT fk_evaluation_entry_seq_entry FOREIGN KEY(entry_seq) REFERENCES entry (seq)
);

CREATE TABLE "party" (
	id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	name_key VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	region_code VARCHAR, 
	signatory_title VARCHAR, 
	entry_seq INTEGER NOT NULL, 
	CONSTRAINT pk_party PRIMARY KEY (id), 
	CONSTRAINT fk_party_entry_seq_entry FOREIGN KEY(entry_seq) REFERENCES entry (seq)
);

CREATE INDEX ix_entry_agreement_key ON entry (agreement_key);

CREATE INDEX ix_agreement_party_party_id_agreement_id ON agreement_party (party_id, agreement_id);

CREATE INDEX ix_handover_agreement_id_handed_on ON handover (agreement_id, handed_on);

CREATE INDEX ix_party_alias_party_id ON party_alias (party_id);

CREATE INDEX ix_signature_party_id_agreement_id_entry_seq ON signature (party_id, agreement_id, entry_seq);

CREATE TRIGGER entry_no_update BEFORE UPDATE ON entry BEGIN SELECT RAISE(ABORT, 'ks: entry rows are never updated'); END;

CREATE TRIGGER entry_no_delete BEFORE DELETE ON entry BEGIN SELECT RAISE(ABORT, 'ks: entry rows are never deleted'); END;

CREATE TRIGGER signature_no_update BEFORE UPDATE ON signature BEGIN SELECT RAISE(ABORT, 'ks: signature rows are never updated'); END;

CREATE TRIGGER signature_no_delete BEFORE DELETE ON signature BEGIN SELECT RAISE(ABORT, 'ks: signature rows are never deleted'); END;

CREATE TRIGGER handover_no_update BEFORE UPDATE ON handover BEGIN SELECT RAISE(ABORT, 'ks: handover rows are never updated'); END;

CREATE TRIGGER handover_no_delete BEFORE DELETE ON handover BEGIN SELECT RAISE(ABORT, 'ks: handover rows are never deleted'); END;

CREATE TRIGGER void_no_update BEFORE UPDATE ON void BEGIN SELECT RAISE(ABORT, 'ks: void rows are never updated'); END;

CREATE TRIGGER void_no_delete BEFORE DELETE ON void BEGIN SELECT RAISE(ABORT, 'ks: void rows are never deleted'); END;

CREATE TRIGGER party_alias_no_update BEFORE UPDATE ON party_alias BEGIN SELECT RAISE(ABORT, 'ks: party_alias rows are never updated'); END;

CREATE TRIGGER party_alias_no_delete BEFORE DELETE ON party_alias BEGIN SELECT RAISE(ABORT, 'ks: party_alias rows are never deleted'); END;

CREATE TRIGGER agreement_party_no_delete BEFORE DELETE ON agreement_party BEGIN SELECT RAISE(ABORT, 'ks: agreement_party rows are never deleted'); END;

CREATE INDEX ix_agreement_parent_id ON agreement (parent_id);

CREATE INDEX ix_agreement_renews_id ON agreement (renews_id);

CREATE INDEX ix_agreement_kind_agreed_on ON agreement (kind, agreed_on);

CREATE TRIGGER agreement_no_delete BEFORE DELETE ON agreement BEGIN SELECT RAISE(ABORT, 'ks: agreement rows are never deleted'); END;

CREATE INDEX ix_signature_agreement_id_signed_on ON signature (agreement_id, signed_on);

CREATE INDEX ix_termination_agreement_id ON termination (agreement_id);

CREATE INDEX ix_activity_agreement_id_held_on ON activity (agreement_id, held_on);

CREATE INDEX ix_evaluation_agreement_id_evaluated_on ON evaluation (agreement_id, evaluated_on);

CREATE TRIGGER termination_no_update BEFORE UPDATE ON termination BEGIN SELECT RAISE(ABORT, 'ks: termination rows are never updated'); END;

CREATE TRIGGER termination_no_delete BEFORE DELETE ON termination BEGIN SELECT RAISE(ABORT, 'ks: termination rows are never deleted'); END;

CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity BEGIN SELECT RAISE(ABORT, 'ks: activity rows are never updated'); END;

CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity BEGIN SELECT RAISE(ABORT, 'ks: activity rows are never deleted'); END;

CREATE TRIGGER evaluation_no_update BEFORE UPDATE ON evaluation BEGIN SELECT RAISE(ABORT, 'ks: evaluation rows are never updated'); END;

CREATE TRIGGER evaluation_no_delete BEFORE DELETE ON evaluation BEGIN SELECT RAISE(ABORT, 'ks: evaluation rows are never deleted'); END;

CREATE INDEX ix_party_region_code ON party (region_code);

CREATE UNIQUE INDEX uq_party_name_key_region ON party (name_key, COALESCE(region_code, ''));

CREATE TRIGGER party_no_update BEFORE UPDATE ON party BEGIN SELECT RAISE(ABORT, 'ks: party rows are never updated'); END;

CREATE TRIGGER party_no_delete BEFORE DELETE ON party BEGIN SELECT RAISE(ABORT, 'ks: party rows are never deleted'); END;

