//! The words of long work: what kind of job it is, the stage it is at, and how it ended. Each is an enum whose
//! [`as_str`](JobKind::as_str) is the word the core stores in SQLite and the JSON carries, so no side matches
//! these words as strings.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A word that names none of the values of a vocabulary enum (a row written by another version, a typo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord(pub String);

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown word '{}'", self.0)
    }
}

impl std::error::Error for UnknownWord {}

/// An enum of unit variants, each named by one word: serde uses the word, and so do `as_str`, `Display` and
/// `FromStr`, from the one list here.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $word)] $variant, )+
        }

        impl $name {
            /// Every value, in the order declared.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word for this value: what SQLite stores and the JSON carries.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $word, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;

            fn from_str(word: &str) -> Result<Self, UnknownWord> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == word)
                    .ok_or_else(|| UnknownWord(word.to_string()))
            }
        }
    };
}

pub(crate) use vocabulary;

vocabulary! {
    /// What kind of long work a job does.
    pub enum JobKind {
        /// Make a sandbox from a request (a clone of its repository, its image, its container).
        Create = "create",
        /// Capture a sandbox into a snapshot.
        Snapshot = "snapshot",
        /// Make a sandbox from a snapshot.
        Restore = "restore",
        /// Make a sandbox from a running one, through a full snapshot.
        Clone = "clone",
        /// Load a snapshot exported to a file.
        Import = "import",
        /// Write a snapshot to a file (progress only: no job row).
        Export = "export",
        /// Bake a profile version into its snapshot image (see [`crate::ProfileJob`]).
        Profile = "profile",
    }
}

impl JobKind {
    /// Whether a job of this kind makes a new sandbox (whose row may not be listed yet, or never if it fails).
    pub fn makes_sandbox(self) -> bool {
        matches!(self, JobKind::Create | JobKind::Restore | JobKind::Clone)
    }
}

vocabulary! {
    /// The step a job is at.
    pub enum JobStage {
        /// Cloning the repository on the host.
        Cloning = "cloning",
        /// Building a preset's image.
        BuildingImage = "building image",
        /// Pulling the image.
        PullingImage = "pulling image",
        /// Making the git volume.
        CreatingVolume = "creating volume",
        /// Making the container.
        CreatingContainer = "creating container",
        /// Copying the host checkout into the git volume.
        CopyingCheckout = "copying the checkout",
        /// Copying the snapshot's workspace into the git volume.
        CopyingWorkspace = "copying the workspace",
        /// Starting the container.
        Starting = "starting",
        /// The setup script runs.
        SettingUp = "setting up",
        /// A snapshot is being captured.
        Capturing = "capturing",
        /// A captured snapshot is being made into its image.
        Finalizing = "finalizing",
        /// An imported image is being loaded.
        Loading = "loading",
        /// An imported image is being committed under this data dir's labels.
        Committing = "committing",
        /// A snapshot is being written to its export file.
        Writing = "writing",
        /// The job succeeded (its last event).
        Done = "done",
        /// The job failed (its last event).
        Failed = "failed",
    }
}

vocabulary! {
    /// How a job stands.
    pub enum JobStatus {
        /// Its owner works on it.
        Running = "running",
        /// It ended well.
        Succeeded = "succeeded",
        /// It ended in failure (or its owner died).
        Failed = "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_through_json_and_text() {
        for kind in JobKind::ALL {
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<JobKind>(&json).unwrap(), *kind);
            assert_eq!(kind.as_str().parse::<JobKind>(), Ok(*kind));
        }
        for stage in JobStage::ALL {
            let json = serde_json::to_string(stage).unwrap();
            assert_eq!(json, format!("\"{}\"", stage.as_str()));
            assert_eq!(stage.to_string().parse::<JobStage>(), Ok(*stage));
        }
        for status in JobStatus::ALL {
            assert_eq!(status.as_str().parse::<JobStatus>(), Ok(*status));
        }
        assert_eq!("setup".parse::<JobKind>(), Err(UnknownWord("setup".into())));
    }

    #[test]
    fn the_stored_words_are_pinned() {
        let kinds: Vec<&str> = JobKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "create", "snapshot", "restore", "clone", "import", "export", "profile"
            ]
        );
        let statuses: Vec<&str> = JobStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(statuses, ["running", "succeeded", "failed"]);
        assert_eq!(JobStage::BuildingImage.as_str(), "building image");
        assert_eq!(JobStage::CopyingCheckout.as_str(), "copying the checkout");
    }

    #[test]
    fn sandbox_making_kinds() {
        let making: Vec<JobKind> = JobKind::ALL
            .iter()
            .copied()
            .filter(|k| k.makes_sandbox())
            .collect();
        assert_eq!(making, [JobKind::Create, JobKind::Restore, JobKind::Clone]);
    }
}
