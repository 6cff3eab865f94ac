//! The sandbox's stock voices: fixed, offline, the same in every process.
use super::StockVoice;

pub const VOICES: &[StockVoice] = &[
    StockVoice { id: "sbv_aria", name: "Aria", language: "en-US", description: "American English, warm female voice" },
    StockVoice { id: "sbv_ben", name: "Ben", language: "en-US", description: "American English, calm male voice" },
    StockVoice {
        id: "sbv_chloe",
        name: "Chloe",
        language: "en-GB",
        description: "British English, bright female voice",
    },
    StockVoice { id: "sbv_daniel", name: "Daniel", language: "en-GB", description: "British English, deep male voice" },
    StockVoice {
        id: "sbv_elena",
        name: "Elena",
        language: "es-ES",
        description: "Castilian Spanish, friendly female voice",
    },
    StockVoice { id: "sbv_felix", name: "Felix", language: "de-DE", description: "German, clear male voice" },
    StockVoice {
        id: "sbv_grace",
        name: "Grace",
        language: "en-AU",
        description: "Australian English, upbeat female voice",
    },
    StockVoice { id: "sbv_hugo", name: "Hugo", language: "fr-FR", description: "French, soft male voice" },
];
