"Learned speech features from a local Hugging Face folder, from the installed library: loading, recipes, files, bad input."
import json, shutil

import numpy as np
import pytest
import torch

from talking_heads.audio import load_audio, write_wav
from talking_heads.core import InputError
from talking_heads.person_data import load_feature_file
from talking_heads.speech_features import (SpeechEncoder, SpeechEncoderConfig, ernerf_windows, extract_features,
                                           hubert_hidden, load_speech_encoder, radnerf_calls, radnerf_logits,
                                           radnerf_windows, read_config, read_state_dict, reference_forward,
                                           save_speech_encoder, write_features)


def tiny(model_type="wav2vec2", stable=True, vocab=44, seed=0, **kw) -> SpeechEncoder:
    torch.manual_seed(seed)
    cfg = SpeechEncoderConfig.preset("tiny", model_type=model_type, do_stable_layer_norm=stable,
                                     feat_extract_norm="layer" if stable else "group", conv_bias=stable, vocab_size=vocab, **kw)
    m = SpeechEncoder(cfg).eval()
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "norm" in n or "weight_g" in n: p.copy_(torch.rand_like(p) + 0.5)
    return m


def speech(n, seed=0):
    return (np.random.default_rng(seed).standard_normal(n) * 0.1).astype(np.float32)


@pytest.fixture(scope="module")
def ctc_dir(tmp_path_factory):
    return save_speech_encoder(tiny(), tmp_path_factory.mktemp("m")/"eo")


def test_reference_matches_module_for_base_layout(tmp_path):
    "The post-LN, group-norm HuBERT with feat_proj_layer_norm off, against the slow reference."
    m = tiny("hubert", stable=False, vocab=None, feat_proj_layer_norm=False)
    d = save_speech_encoder(m, tmp_path/"hu")
    x = torch.from_numpy(speech(5000))
    with torch.no_grad(): y = load_speech_encoder(d, "cpu")(x[None])[0]
    ref = reference_forward(read_state_dict(d), m.cfg, x)
    assert torch.allclose(y, ref, atol=1e-5)
    assert "feature_projection.layer_norm.weight" not in read_state_dict(d)


def test_pytorch_bin_with_legacy_weight_norm_names(tmp_path, ctc_dir):
    "pytorch_model.bin with weight_g/weight_v (torch.nn.utils.weight_norm) loads like the safetensors file."
    d = tmp_path/"bin"; d.mkdir()
    shutil.copy(ctc_dir/"config.json", d)
    sd = {k.replace("parametrizations.weight.original0", "weight_g").replace("parametrizations.weight.original1", "weight_v"): v
          for k, v in read_state_dict(ctc_dir).items()}
    sd["wav2vec2.masked_spec_embed"] = torch.zeros(32)               # SpecAugment's vector is ignored
    torch.save(sd, d/"pytorch_model.bin")
    x = torch.from_numpy(speech(4000))[None]
    with torch.no_grad(): assert torch.equal(load_speech_encoder(d, "cpu")(x), load_speech_encoder(ctc_dir, "cpu")(x))


def test_sharded_safetensors(tmp_path, ctc_dir):
    from safetensors.torch import save_file
    d = tmp_path/"sharded"; d.mkdir()
    shutil.copy(ctc_dir/"config.json", d)
    sd = read_state_dict(ctc_dir); keys = sorted(sd)
    parts = {"model-00001-of-00002.safetensors": keys[::2], "model-00002-of-00002.safetensors": keys[1::2]}
    for name, ks in parts.items(): save_file({k: sd[k] for k in ks}, str(d/name))
    (d/"model.safetensors.index.json").write_text(json.dumps({"weight_map": {k: n for n, ks in parts.items() for k in ks}}))
    assert set(read_state_dict(d)) == set(sd)


def test_bad_model_folders(tmp_path, ctc_dir):
    with pytest.raises(InputError, match="has no config.json"): read_config(tmp_path)
    with pytest.raises(InputError, match="does not exist"): read_config(tmp_path/"nope")
    (tmp_path/"w").mkdir(); (tmp_path/"w"/"config.json").write_text(json.dumps({"model_type": "whisper", "architectures": ["WhisperModel"]}))
    with pytest.raises(InputError, match="'whisper' model"): read_config(tmp_path/"w")
    (tmp_path/"j").mkdir(); (tmp_path/"j"/"config.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"): read_config(tmp_path/"j")
    d = tmp_path/"now"; d.mkdir(); shutil.copy(ctc_dir/"config.json", d)
    with pytest.raises(InputError, match="has no weights"): load_speech_encoder(d, "cpu")
    (d/"model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(InputError, match="could not be read as safetensors"): load_speech_encoder(d, "cpu")
    (d/"model.safetensors").unlink(); torch.save({"x": torch.zeros(1)}, d/"pytorch_model.bin")
    with pytest.raises(InputError, match=r"missing keys: .*unexpected keys: x"): load_speech_encoder(d, "cpu")
    conf = json.loads((ctc_dir/"config.json").read_text()); conf["num_hidden_layers"] = 3
    (d/"config.json").write_text(json.dumps(conf)); shutil.copy(ctc_dir/"model.safetensors", d); (d/"pytorch_model.bin").unlink()
    with pytest.raises(InputError, match=r"missing keys: encoder\.layers\.2\."): load_speech_encoder(d, "cpu")
    conf["hidden_size"] = 48; conf["num_hidden_layers"] = 2; (d/"config.json").write_text(json.dumps(conf))
    with pytest.raises(InputError, match="misshaped keys"): load_speech_encoder(d, "cpu")


def test_bad_audio_and_kinds(ctc_dir):
    with pytest.raises(InputError, match="shorter than one video frame"): extract_features(np.zeros(639, np.float32), "esperanto", ctc_dir, "cpu")
    with pytest.raises(InputError, match="mono"): extract_features(np.zeros((2, 16000), np.float32), "esperanto", ctc_dir, "cpu")
    with pytest.raises(InputError, match="NaN"): extract_features(np.full(16000, np.nan, np.float32), "esperanto", ctc_dir, "cpu")
    with pytest.raises(InputError, match="must be one of"): extract_features(speech(16000), "whisper", ctc_dir)
    with pytest.raises(InputError, match="TensorFlow"): extract_features(speech(16000), "deepspeech", ctc_dir)
    with pytest.raises(InputError, match="holds a wav2vec2 model"): extract_features(speech(16000), "hubert", ctc_dir, "cpu")


def test_radnerf_lengths_follow_the_stream():
    "M = frames of all calls; windows = M // 2 + 1 (asr.py's unfold), for lengths around the call boundaries."
    m = tiny()
    for n in (640, 60 * 320 - 1, 60 * 320, 110 * 320 + 1):
        calls = radnerf_calls(n)
        M = sum(max(0, m.cfg.n_frames(c.stop - c.start) - c.first - c.cut_right) for c in calls)
        logits = radnerf_logits(speech(n), m)
        assert logits.shape == (M, 44)
        assert radnerf_windows(logits).shape == (M // 2 + 1, 16, 44)
    assert [c.start for c in radnerf_calls(10 * 16000)] == [k * 16000 for k in range(10)]   # one call per second of audio


def test_hubert_long_audio_in_clips():
    "45 s through the default 1000-frame (20 s) clips: floor((S - 80) / 320) frames, paired, the first clip alone equal to its frames."
    m = tiny("hubert", vocab=None)
    w = speech(45 * 16000 + 123)
    h = hubert_hidden(w, m)
    assert h.shape == ((len(w) - 80) // 320, 32)
    from talking_heads.speech_features import normalize_audio
    with torch.no_grad(): first = m.hidden_states(torch.from_numpy(normalize_audio(w)[:320080])[None])[0].numpy()
    np.testing.assert_allclose(h[:1000], first, atol=1e-5)
    assert ernerf_windows(h).shape == (len(h) // 2, 2, 32)


def test_write_features_person_folder(tmp_path, ctc_dir):
    "esperanto and hubert files land under the loader's names, with the loader's shapes; a DeepSpeech aud.npy is kept."
    root = tmp_path/"p"; root.mkdir()
    write_wav(root/"aud.wav", speech(3 * 16000 + 200) * 3)
    p = write_features(root, "esperanto", ctc_dir, "cpu", progress=False)
    # 48200 samples: calls keep 50 + 50 + 50 frames (the last call sees 19400 samples: 60 frames, 10 dropped) -> 150 // 2 + 1
    assert p.name == "aud_eo.npy" and load_feature_file(p, "esperanto").shape == (76, 16, 44)
    assert not list(root.glob(".aud_eo.npy*"))                        # the temporary file is gone
    hub = tiny("hubert", vocab=None, hidden_size=1024, num_attention_heads=4, intermediate_size=16, num_hidden_layers=1)
    hd = save_speech_encoder(hub, tmp_path/"hu")
    p = write_features(root, "hubert", hd, "cpu", progress=False)
    wav = load_audio(root/"aud.wav")
    assert p.name == "aud_hu.npy" and load_feature_file(p, "hubert").shape == ((len(wav) - 80) // 320 // 2, 2, 1024)
    np.save(root/"aud.npy", np.zeros((75, 16, 29), np.float32))          # AD-NeRF's DeepSpeech output name
    conf = json.loads((ctc_dir/"config.json").read_text()); conf["vocab_size"] = 32
    w2v = tmp_path/"w2v"; w2v.mkdir(); (w2v/"config.json").write_text(json.dumps(conf))
    save_speech_encoder(tiny(vocab=32), w2v)
    with pytest.raises(InputError, match="pass overwrite=True"): write_features(root, "wav2vec", w2v, "cpu", progress=False)
    assert np.load(root/"aud.npy").shape[2] == 29
    assert write_features(root, "wav2vec", w2v, "cpu", overwrite=True, progress=False).name == "aud.npy"
    assert np.load(root/"aud.npy").shape == (76, 16, 32)
    with pytest.raises(InputError, match="person audio"): write_features(tmp_path, "esperanto", ctc_dir, "cpu")


def test_transformers_parity(tmp_path):
    "Only with transformers installed: tiny random models saved by save_pretrained give the same outputs here."
    pytest.importorskip("transformers")
    import transformers
    transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
    from talking_heads.speech_features import tiny_transformers_models, transformers_parity
    for name, d in tiny_transformers_models(tmp_path).items():
        assert transformers_parity(d, seconds=2.0, head=not name.startswith("hubert_ctc")) < 1e-5, name
    d = tmp_path/"wav2vec2_ctc_large"
    hf = transformers.Wav2Vec2ForCTC.from_pretrained(str(d), attn_implementation="eager").eval()
    x = torch.from_numpy(speech(8000))[None]
    with torch.no_grad(): assert (load_speech_encoder(d, "cpu")(x) - hf(x).logits).abs().max() < 1e-5


def test_full_size_layouts_match_transformers():
    "The released models' layouts (built on the meta device, no memory): every transformers key maps onto ours with its shape."
    pytest.importorskip("transformers")
    import transformers
    from talking_heads.speech_features import hf_to_native
    large = dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
                 feat_extract_norm="layer", conv_bias=True, do_stable_layer_norm=True)
    for cls, conf, kind in ((transformers.Wav2Vec2ForCTC, transformers.Wav2Vec2Config(**large, vocab_size=44), "esperanto"),
                            (transformers.Wav2Vec2ForCTC, transformers.Wav2Vec2Config(**large, vocab_size=32), "wav2vec"),
                            (transformers.HubertForCTC, transformers.HubertConfig(**large, vocab_size=32), "hubert")):
        with torch.device("meta"): sd = cls(conf).state_dict()
        cfg = SpeechEncoderConfig.preset("large", model_type=conf.model_type, vocab_size=None if kind == "hubert" else conf.vocab_size)
        native = hf_to_native(sd, cfg)
        assert sum(v.numel() for v in native.values()) > 300_000_000
        with torch.device("meta"): out = SpeechEncoder(cfg)(torch.zeros(1, 16000, device="meta"))
        assert tuple(out.shape) == (1, 49, {"esperanto": 44, "wav2vec": 32, "hubert": 1024}[kind])
